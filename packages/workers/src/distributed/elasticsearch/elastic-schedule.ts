import { errors, type Client } from '@elastic/elasticsearch';
import { InfrastructureError, type ScheduledItem, type ScheduleStore } from '@inflow/core';
import { verdictOf } from './bulk-results.js';
import { ensureIndex } from './ensure-index.js';
import { infrastructure } from './transient-errors.js';

interface ScheduleDoc {
  id: string;
  dueAt: number;
  profileId: string;
  leasedUntil: number;
  owner: string | null;
  done: boolean;
  data: unknown;
}

const SCHEDULE_MAPPINGS = {
  dynamic: false,
  properties: {
    id: { type: 'keyword' },
    dueAt: { type: 'long' },
    profileId: { type: 'keyword' },
    leasedUntil: { type: 'long' },
    owner: { type: 'keyword' },
    done: { type: 'boolean' },
    data: { type: 'object', enabled: false },
  },
} as const;

/**
 * The distributed schedule: one index. A lease is a compare-and-set on the item's sequence
 * number, so of two workers that found the same due item only one gets it; a completed item
 * stays as a tombstone (`done`), so a late `schedule` of the same id adds nothing.
 */
export class ElasticSchedule implements ScheduleStore {
  private readonly index: string;

  constructor(
    private readonly client: Client,
    indexPrefix: string,
  ) {
    this.index = `${indexPrefix}-schedule`;
  }

  async init(): Promise<void> {
    await ensureIndex(this.client, this.index, { number_of_replicas: 0 }, SCHEDULE_MAPPINGS);
  }


  async schedule(items: ScheduledItem[]): Promise<void> {
    if (items.length === 0) return;
    await infrastructure(async () => {
      const operations = items.flatMap((item) => [
        { create: { _index: this.index, _id: item.id } },
        { id: item.id, dueAt: item.dueAt, profileId: item.profileId, leasedUntil: 0, owner: null, done: false, data: item.data } satisfies ScheduleDoc,
      ]);
      const response = await this.client.bulk({ operations, refresh: 'wait_for' });
      // 409: scheduled before (or done): kept as it is. A busy or blocked index is an outage (retried, never a dead letter).
      for (const item of response.items) {
        const outcome = item.create;
        if (!outcome) continue;
        const verdict = verdictOf(outcome);
        if (verdict.kind === 'retry') throw new InfrastructureError('store', `schedule ${outcome._id ?? ''}: ${verdict.reason}`);
        if (verdict.kind === 'fatal') throw new Error(`schedule ${outcome._id ?? ''}: ${verdict.reason}`);
      }
    });
  }

  async leaseDue(now: number, max: number, owner: string, leaseMs: number): Promise<ScheduledItem[]> {
    return infrastructure(async () => {
      const found = await this.client.search<ScheduleDoc>({
        index: this.index,
        query: { bool: { filter: [{ term: { done: false } }, { range: { dueAt: { lte: now } } }, { range: { leasedUntil: { lt: now } } }] } },
        sort: [{ dueAt: 'asc' }],
        size: max,
        seq_no_primary_term: true,
        ignore_unavailable: true,
      });
      const leased: ScheduledItem[] = [];
      for (const hit of found.hits.hits) {
        const doc = hit._source;
        if (!doc || hit._seq_no === undefined || hit._primary_term === undefined) continue;
        try {
          await this.client.index({
            index: this.index,
            id: doc.id,
            document: { ...doc, leasedUntil: now + leaseMs, owner },
            if_seq_no: hit._seq_no,
            if_primary_term: hit._primary_term,
          });
          leased.push({ id: doc.id, dueAt: doc.dueAt, profileId: doc.profileId, data: doc.data });
        } catch (error) {
          if (!(error instanceof errors.ResponseError && error.statusCode === 409)) throw error;
        }
      }
      return leased;
    });
  }

  async complete(id: string): Promise<boolean> {
    return infrastructure(async () => {
      let current;
      try {
        current = await this.client.get<ScheduleDoc>({ index: this.index, id });
      } catch (error) {
        if (error instanceof errors.ResponseError && error.statusCode === 404) return false;
        throw error;
      }
      if (!current._source || current._source.done || current._seq_no === undefined || current._primary_term === undefined) return false;
      try {
        await this.client.index({
          index: this.index,
          id,
          document: { ...current._source, done: true, data: null, owner: null },
          if_seq_no: current._seq_no,
          if_primary_term: current._primary_term,
          refresh: 'wait_for',
        });
        return true;
      } catch (error) {
        // Completed (or leased again) meanwhile by another worker: done once is what counts.
        if (error instanceof errors.ResponseError && error.statusCode === 409) return this.complete(id);
        throw error;
      }
    });
  }

  async list(limit: number, profileId?: string): Promise<Array<ScheduledItem & { leasedUntil: number | null }>> {
    return infrastructure(async () => {
      const filter: Array<Record<string, unknown>> = [{ term: { done: false } }];
      if (profileId !== undefined) filter.push({ term: { profileId } });
      const found = await this.client.search<ScheduleDoc>({ index: this.index, query: { bool: { filter } }, sort: [{ dueAt: 'asc' }], size: limit, ignore_unavailable: true });
      return found.hits.hits.flatMap((hit) => {
        const doc = hit._source;
        return doc ? [{ id: doc.id, dueAt: doc.dueAt, profileId: doc.profileId, data: doc.data, leasedUntil: doc.leasedUntil > 0 ? doc.leasedUntil : null }] : [];
      });
    });
  }
}
