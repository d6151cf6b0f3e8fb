import { uuid } from './ids.js';
import { toPayloads } from './payloads.js';
import { decide, DEFAULT_RETRY, type RetryOptions } from './retry-policy.js';
import type { EventStore, JsonObject, Logger, QueuedEvent, SendResult, Transport } from './types.js';

export interface Identity {
  profileId(): string;
  sessionId(): string;
  setProfileId(id: string): void;
  reset(): void;
}

export interface TrackerSettings {
  endpoint: string;
  sourceId: string;
  transport: Transport;
  store: EventStore;
  identity: Identity;
  /** Page and device context for each event. */
  context?: () => JsonObject;
  maxBatchEvents?: number;
  maxBatchBytes?: number;
  flushMs?: number;
  /** Oldest events are dropped first once this many wait (offline for long). */
  maxQueuedEvents?: number;
  retry?: RetryOptions;
  /** Events wait (in memory only) until consent(true). */
  consentRequired?: boolean;
  log?: Logger;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export interface TrackOptions {
  /** Send now and resolve with the processed answer (200: profile, session, event ids). */
  processed?: boolean;
  /** Client time of the event (defaults to now). */
  time?: Date;
  context?: JsonObject;
  /** Server-side tracking: whose event this is (the browser tracker knows it by itself). */
  profileId?: string;
  sessionId?: string;
}

export interface Processed {
  profile: { id: string };
  session: { id: string };
  events: string[];
}

/**
 * The tracker's core, free of any browser or Node API: queue, batch, send with retries,
 * persist through the store, and never throw into the host.
 */
export class Tracker {
  private queue: QueuedEvent[];
  private timer: unknown;
  private sending: Promise<void> | null = null;
  /** Events on the wire: an unload flush must not send them a second time. */
  private readonly inFlight = new Set<QueuedEvent>();
  private attempt = 0;
  private consented: boolean;
  private readonly s: Required<Omit<TrackerSettings, 'context' | 'log'>> & Pick<TrackerSettings, 'context' | 'log'>;

  constructor(settings: TrackerSettings) {
    this.s = {
      maxBatchEvents: 50,
      maxBatchBytes: 60_000,
      flushMs: 1_000,
      maxQueuedEvents: 1_000,
      retry: DEFAULT_RETRY,
      consentRequired: false,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      ...settings,
    };
    this.consented = !this.s.consentRequired;
    this.queue = this.consented ? safe(() => this.s.store.load(), []) : [];
    if (this.queue.length > 0) this.schedule(0);
    if (this.consented) void this.adoptOrphans();
  }

  private async adoptOrphans(): Promise<void> {
    const adopted = await this.s.store.adopt?.().catch(() => []);
    if (!adopted || adopted.length === 0) return;
    this.log(`adopted ${adopted.length} events left by a closed page`);
    this.queue.push(...adopted);
    this.persist();
    this.schedule(0);
  }

  track(type: string, properties: JsonObject = {}, options: TrackOptions = {}): Promise<Processed | undefined> {
    if (typeof type !== 'string' || type.length === 0) {
      this.log('track: the event type must be a non-empty string', type);
      return Promise.resolve(undefined);
    }
    const item: QueuedEvent = {
      event: { id: uuid(), type, properties: isObject(properties) ? properties : {}, time: (options.time ?? new Date()).toISOString() },
      profileId: options.profileId ?? this.s.identity.profileId(),
      sessionId: options.sessionId ?? this.s.identity.sessionId(),
      context: { ...safe(() => this.s.context?.() ?? {}, {}), ...options.context },
    };
    if (options.processed) return this.sendProcessed({ ...item, processed: true });
    this.enqueue(item);
    return Promise.resolve(undefined);
  }

  identify(profileId: string, traits: JsonObject = {}): Promise<Processed | undefined> {
    if (typeof profileId === 'string' && profileId.length > 0) this.s.identity.setProfileId(profileId);
    return this.track('identify', { traits });
  }

  /** Sends everything queued now; resolves when the queue is empty or waiting for a retry. */
  flush(unloading = false): Promise<void> {
    if (!this.consented || this.queue.length === 0) return Promise.resolve();
    if (unloading) return this.sendAll(true);
    this.sending ??= this.sendAll(false).finally(() => (this.sending = null));
    return this.sending;
  }

  /** Flushes until nothing is queued or `timeoutMs` passed; resolves with what is still queued. */
  async drain(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (this.queue.length > 0 && this.consented && Date.now() < until) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((resolve) => this.s.setTimer(() => resolve(undefined), 100));
    }
    if (this.timer !== undefined) this.s.clearTimer(this.timer);
    this.timer = undefined;
    return this.queue.length;
  }

  /** Grant or withdraw consent. Withdrawing drops queued events and forgets the stored ids. */
  consent(granted: boolean): void {
    this.consented = granted;
    if (granted) {
      this.persist();
      this.schedule(0);
      void this.adoptOrphans();
    } else {
      this.queue = [];
      safe(() => this.s.store.clear(), undefined);
      this.s.identity.reset();
    }
  }

  /** A new anonymous profile and session (logout); queued events keep the ids they had. */
  reset(): void {
    this.s.identity.reset();
  }

  get pending(): number {
    return this.queue.length;
  }

  private enqueue(item: QueuedEvent): void {
    this.queue.push(item);
    const over = this.queue.length - this.s.maxQueuedEvents;
    if (over > 0) {
      this.queue.splice(0, over);
      this.log(`queue full: dropped the ${over} oldest events`);
    }
    this.persist();
    if (!this.consented) return;
    const bytes = this.queue.length * 300; // rough: the exact size is checked when the batch is built
    this.schedule(this.queue.length >= this.s.maxBatchEvents || bytes >= this.s.maxBatchBytes ? 0 : this.s.flushMs);
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined && ms > 0) return;
    if (this.timer !== undefined) this.s.clearTimer(this.timer);
    this.timer = this.s.setTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private async sendAll(unloading: boolean): Promise<void> {
    for (;;) {
      const batch = this.consented ? this.takeBatch() : [];
      if (batch.length === 0) return;
      const delay = await this.deliver(batch, unloading);
      if (delay !== undefined) {
        if (!unloading) this.schedule(delay);
        return;
      }
    }
  }

  /** The oldest events that fit one request. */
  private takeBatch(): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    let bytes = 0;
    for (const item of this.queue) {
      if (this.inFlight.has(item)) continue;
      const size = JSON.stringify(item).length;
      if (batch.length > 0 && (batch.length >= this.s.maxBatchEvents || bytes + size > this.s.maxBatchBytes)) break;
      batch.push(item);
      bytes += size;
    }
    return batch;
  }

  /** Sends a batch; returns a delay when it must be retried later. */
  private async deliver(batch: QueuedEvent[], unloading: boolean): Promise<number | undefined> {
    for (const { payload, events } of toPayloads(batch, this.s.sourceId, this.s.maxBatchEvents)) {
      for (const item of events) this.inFlight.add(item);
      const result = await this.post(JSON.stringify(payload), unloading);
      for (const item of events) this.inFlight.delete(item);
      const decision = decide(outcomeOf(result), this.attempt, this.s.retry);
      if (decision.kind === 'retry') {
        this.attempt += 1;
        this.log(`send failed, retry in ${decision.ms} ms`, result);
        return decision.ms;
      }
      this.attempt = 0;
      if (decision.kind === 'split' && events.length > 1) {
        this.s.maxBatchEvents = Math.max(1, Math.floor(events.length / 2));
        return 0;
      }
      if (decision.kind === 'drop' || decision.kind === 'split') this.log(`dropped ${events.length} events: ${decision.kind === 'drop' ? decision.reason : 'too large'}`);
      this.remove(events);
    }
    return undefined;
  }

  private async sendProcessed(item: QueuedEvent): Promise<Processed | undefined> {
    if (!this.consented) {
      this.enqueue(item);
      return undefined;
    }
    const [{ payload } = { payload: undefined }] = toPayloads([item], this.s.sourceId, 1);
    const result = await this.post(JSON.stringify(payload), false);
    if (result.kind !== 'ok') {
      // Not lost: it goes the queued way, with retries and persistence.
      this.enqueue({ ...item, processed: false });
      return undefined;
    }
    const answer = result.body as Processed;
    if (answer?.profile?.id && answer.profile.id !== item.profileId) this.s.identity.setProfileId(answer.profile.id);
    return answer;
  }

  private post(body: string, unloading: boolean): Promise<SendResult> {
    return this.s.transport.send(`${this.s.endpoint.replace(/\/$/, '')}/track`, body, { unloading }).catch((error: unknown) => ({
      kind: 'network' as const,
      error: String(error),
    }));
  }

  private remove(events: QueuedEvent[]): void {
    const gone = new Set(events);
    this.queue = this.queue.filter((item) => !gone.has(item));
    this.persist();
  }

  private persist(): void {
    if (this.consented) safe(() => this.s.store.save(this.queue), undefined);
  }

  private log(message: string, detail?: unknown): void {
    this.s.log?.(`[inflow] ${message}`, detail);
  }
}

function outcomeOf(result: SendResult): { status?: number; network?: boolean; retryAfterMs?: number } {
  if (result.kind === 'network') return { network: true };
  if (result.kind === 'ok') return { status: result.status };
  return result.retryAfterMs === undefined ? { status: result.status } : { status: result.status, retryAfterMs: result.retryAfterMs };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
