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
  private _queue: QueuedEvent[];
  private _timer: unknown;
  private _sending: Promise<void> | null = null;
  /** Events on the wire: an unload flush must not send them a second time. */
  private readonly _inFlight = new Set<QueuedEvent>();
  private _attempt = 0;
  private _consented: boolean;
  private readonly _s: Required<Omit<TrackerSettings, 'context' | 'log'>> & Pick<TrackerSettings, 'context' | 'log'>;

  constructor(settings: TrackerSettings) {
    this._s = { ...DEFAULTS, ...definedOnly(settings) };
    this._consented = !this._s.consentRequired;
    this._queue = this._consented ? safe(() => this._s.store.load(), []) : [];
    if (this._queue.length > 0) this._schedule(0);
    if (this._consented) void this._adoptOrphans();
  }

  private async _adoptOrphans(): Promise<void> {
    const adopted = await this._s.store.adopt?.().catch(() => []);
    if (!adopted || adopted.length === 0) return;
    this._log(`adopted ${adopted.length} events`);
    this._queue.push(...adopted);
    this._persist();
    this._schedule(0);
  }

  track(type: string, properties: JsonObject = {}, options: TrackOptions = {}): Promise<Processed | undefined> {
    if (typeof type !== 'string' || type.length === 0) {
      this._log('track: bad event type', type);
      return Promise.resolve(undefined);
    }
    const item: QueuedEvent = {
      event: { id: uuid(), type, properties: isObject(properties) ? properties : {}, time: (options.time ?? new Date()).toISOString() },
      profileId: options.profileId ?? this._s.identity.profileId(),
      sessionId: options.sessionId ?? this._s.identity.sessionId(),
      context: { ...safe(() => this._s.context?.() ?? {}, {}), ...options.context },
    };
    if (options.processed) return this._sendProcessed({ ...item, processed: true });
    this._enqueue(item);
    return Promise.resolve(undefined);
  }

  identify(profileId: string, traits: JsonObject = {}): Promise<Processed | undefined> {
    if (typeof profileId === 'string' && profileId.length > 0) this._s.identity.setProfileId(profileId);
    return this.track('identify', { traits });
  }

  /** Sends everything queued now; resolves when the queue is empty or waiting for a retry. */
  flush(unloading = false): Promise<void> {
    if (!this._consented || this._queue.length === 0) return Promise.resolve();
    if (unloading) return this._sendAll(true);
    this._sending ??= this._sendAll(false).finally(() => (this._sending = null));
    return this._sending;
  }

  /** Grant or withdraw consent. Withdrawing drops queued events and forgets the stored ids. */
  consent(granted: boolean): void {
    this._consented = granted;
    if (granted) {
      this._persist();
      this._schedule(0);
      void this._adoptOrphans();
    } else {
      this._queue = [];
      safe(() => this._s.store.clear(), undefined);
      this._s.identity.reset();
    }
  }

  /** A new anonymous profile and session (logout); queued events keep the ids they had. */
  reset(): void {
    this._s.identity.reset();
  }

  get pending(): number {
    return this._queue.length;
  }

  private _enqueue(item: QueuedEvent): void {
    this._queue.push(item);
    const over = this._queue.length - this._s.maxQueuedEvents;
    if (over > 0) {
      this._queue.splice(0, over);
      this._log(`queue full: dropped ${over} oldest`);
    }
    this._persist();
    if (!this._consented) return;
    const bytes = this._queue.length * 300; // rough: the exact size is checked when the batch is built
    this._schedule(this._queue.length >= this._s.maxBatchEvents || bytes >= this._s.maxBatchBytes ? 0 : this._s.flushMs);
  }

  private _schedule(ms: number): void {
    if (this._timer !== undefined && ms > 0) return;
    if (this._timer !== undefined) this._s.clearTimer(this._timer);
    this._timer = this._s.setTimer(() => {
      this._timer = undefined;
      void this.flush();
    }, ms);
  }

  private async _sendAll(unloading: boolean): Promise<void> {
    for (;;) {
      const batch = this._consented ? this._takeBatch() : [];
      if (batch.length === 0) return;
      const delay = await this._deliver(batch, unloading);
      if (delay !== undefined) {
        if (!unloading) this._schedule(delay);
        return;
      }
    }
  }

  /** The oldest events that fit one request. */
  private _takeBatch(): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    let bytes = 0;
    for (const item of this._queue) {
      if (this._inFlight.has(item)) continue;
      const size = JSON.stringify(item).length;
      if (batch.length > 0 && (batch.length >= this._s.maxBatchEvents || bytes + size > this._s.maxBatchBytes)) break;
      batch.push(item);
      bytes += size;
    }
    return batch;
  }

  /** Sends a batch; returns a delay when it must be retried later. */
  private async _deliver(batch: QueuedEvent[], unloading: boolean): Promise<number | undefined> {
    for (const { payload, events } of toPayloads(batch, this._s.sourceId, this._s.maxBatchEvents)) {
      for (const item of events) this._inFlight.add(item);
      const result = await this._post(JSON.stringify(payload), unloading);
      for (const item of events) this._inFlight.delete(item);
      const decision = decide(outcomeOf(result), this._attempt, this._s.retry);
      if (decision.kind === 'retry') {
        this._attempt += 1;
        this._log(`retry in ${decision.ms} ms`, result);
        return decision.ms;
      }
      this._attempt = 0;
      if (decision.kind === 'split' && events.length > 1) {
        this._s.maxBatchEvents = Math.max(1, Math.floor(events.length / 2));
        return 0;
      }
      if (decision.kind === 'drop' || decision.kind === 'split') this._log(`dropped ${events.length} events: ${decision.kind === 'drop' ? decision.reason : 'too large'}`);
      this._remove(events);
    }
    return undefined;
  }

  private async _sendProcessed(item: QueuedEvent): Promise<Processed | undefined> {
    if (!this._consented) {
      this._enqueue(item);
      return undefined;
    }
    const [{ payload } = { payload: undefined }] = toPayloads([item], this._s.sourceId, 1);
    const result = await this._post(JSON.stringify(payload), false);
    if (result.kind !== 'ok') {
      // Not lost: it goes the queued way, with retries and persistence.
      this._enqueue({ ...item, processed: false });
      return undefined;
    }
    const answer = result.body as Processed;
    if (answer?.profile?.id && answer.profile.id !== item.profileId) this._s.identity.setProfileId(answer.profile.id);
    return answer;
  }

  private _post(body: string, unloading: boolean): Promise<SendResult> {
    return this._s.transport.send(`${this._s.endpoint.replace(/\/$/, '')}/track`, body, { unloading }).catch((error: unknown) => ({
      kind: 'network' as const,
      error: String(error),
    }));
  }

  private _remove(events: QueuedEvent[]): void {
    const gone = new Set(events);
    this._queue = this._queue.filter((item) => !gone.has(item));
    this._persist();
  }

  private _persist(): void {
    if (this._consented) safe(() => this._s.store.save(this._queue), undefined);
  }

  private _log(message: string, detail?: unknown): void {
    this._s.log?.(`[inflow] ${message}`, detail);
  }
}

function outcomeOf(result: SendResult): { status?: number; network?: boolean; retryAfterMs?: number } {
  if (result.kind === 'network') return { network: true };
  if (result.kind === 'ok') return { status: result.status };
  return result.retryAfterMs === undefined ? { status: result.status } : { status: result.status, retryAfterMs: result.retryAfterMs };
}

const DEFAULTS = {
  maxBatchEvents: 50,
  maxBatchBytes: 60_000,
  flushMs: 1_000,
  maxQueuedEvents: 1_000,
  retry: DEFAULT_RETRY,
  consentRequired: false,
  setTimer: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimer: (t: unknown): void => clearTimeout(t as ReturnType<typeof setTimeout>),
};

/** Settings left undefined take their default. */
function definedOnly<T extends object>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as T;
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
