import type { CollectOutcome, Envelope, Logger, ProfileState, RecordStore, RequestCollector, TraceSink } from '@inflow/core';
import { collectAndStore, type CollectAndStoreDeps } from './collect-and-store.js';

/**
 * What became of one request: stored (with the ids it resolved to, and how many of its events
 * had been counted before), or refused for good with the reason.
 */
export type CollectorOutcome = (Extract<CollectOutcome, { kind: 'stored' }> & { duplicates: number }) | Extract<CollectOutcome, { kind: 'rejected' }>;
export type { CollectOutcome };

export interface CollectorOptions {
  state: ProfileState;
  store: RecordStore;
  logger: Logger;
  /** Most requests folded into one store write. */
  maxRequestsPerWrite?: number;
  /** Where stored events go next (dispatch); see CollectAndStoreDeps.feed. */
  feed?: CollectAndStoreDeps['feed'];
  /** Rules run in the collector's write (the embedded engine); see CollectAndStoreDeps.rules. */
  rules?: CollectAndStoreDeps['rules'];
  /** Where stored and deduplicated requests are recorded. */
  trace?: TraceSink | undefined;
  /** Told how long each store write took (seconds). */
  storeWrites?: ((seconds: number) => void) | undefined;
}

interface Job {
  envelopes: Envelope[];
  resolve(outcomes: CollectorOutcome[]): void;
  reject(error: unknown): void;
}

/**
 * Turns requests into profiles, sessions and events and stores them. Requests that arrive
 * while a write is under way wait and go together in the next one (group commit), so under
 * load each store write carries many requests, and runs never overlap: a profile's requests
 * are applied in the order they were handed in. The store is written before the cache; an
 * outcome is known only once the store holds it. When the store or the cache cannot be
 * reached, every job of that write rejects with InfrastructureError: retry later; nothing of
 * it counts as done.
 */
export class Collector implements RequestCollector {
  private readonly waiting: Job[] = [];
  private running = false;
  private readonly maxPerWrite: number;
  /** Events of calls that threw before their profile and session writes landed, for the retry (CollectAndStoreDeps.unsettledEvents). */
  private readonly unsettledEvents = new Map<string, number>();

  constructor(private readonly options: CollectorOptions) {
    this.maxPerWrite = options.maxRequestsPerWrite ?? 1000;
  }

  /** One request (the edge's in-place path). */
  async process(envelope: Envelope): Promise<CollectorOutcome> {
    const [outcome] = await this.processAll([envelope]);
    if (!outcome) throw new Error('collector returned no outcome');
    return outcome;
  }

  /** Many requests, applied in order; one outcome each, in the same order. */
  processAll(envelopes: Envelope[]): Promise<CollectorOutcome[]> {
    if (envelopes.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ envelopes, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const jobs = this.takeJobs();
        const envelopes = jobs.flatMap((job) => job.envelopes);
        try {
          const outcomes = await collectAndStore(envelopes, { ...this.options, unsettledEvents: this.unsettledEvents });
          let at = 0;
          for (const job of jobs) {
            job.resolve(outcomes.slice(at, at + job.envelopes.length));
            at += job.envelopes.length;
          }
        } catch (error) {
          for (const job of jobs) job.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The waiting jobs that fit in one write (at least one, never split). */
  private takeJobs(): Job[] {
    const jobs: Job[] = [];
    let count = 0;
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as Job;
      if (jobs.length > 0 && count + next.envelopes.length > this.maxPerWrite) break;
      jobs.push(next);
      count += next.envelopes.length;
      this.waiting.shift();
    }
    return jobs;
  }
}
