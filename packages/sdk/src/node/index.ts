/** Server-side tracking for Node (and serverless handlers): batched, retried, drained by flush() and close(). */
import { countEvents } from '../core/counts.js';
import { uuid } from '../core/ids.js';
import { createCore } from '../core/tracker.js';
import type { DropListener, JsonObject } from '../core/types.js';
import type { Processed } from '../core/wire.js';
import { memoryStore } from '../plugins/memory-store.js';
import { drain, type DrainResult } from './drain.js';
import { fetchTransport } from './fetch-transport.js';

export type { DrainResult };
export { InvalidEventError, isInvalidEventError } from '../core/errors.js';

export interface NodeTrackerOptions {
  endpoint: string;
  sourceId: string;
  maxBatchEvents?: number;
  flushMs?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Longest flush() and close() keep trying when no timeout is given (default 10 s). */
  closeTimeoutMs?: number;
  /** Queue bounds: the oldest events go first when one is hit, reported to onDrop. */
  maxQueuedEvents?: number;
  maxEventAgeMs?: number;
  fetch?: typeof fetch;
  /** Told about every event given up: a queue bound was hit, or the edge refused it. */
  onDrop?: DropListener;
  /** Retries, drops and other notes. */
  onError?: (message: string) => void;
}

export interface ServerEvent {
  profileId: string;
  sessionId?: string;
  type: string;
  properties?: JsonObject;
  context?: JsonObject;
  time?: Date;
  category?: string;
}

export interface NodeTracker {
  /** Queues an event. Throws an InvalidEventError (and queues nothing) when the edge would refuse it. */
  track(event: ServerEvent): void;
  /** Sends now and resolves with the processed answer (profile, session and event ids). */
  trackProcessed(event: ServerEvent): Promise<Processed | undefined>;
  /**
   * Sends everything pending, retrying (with backoff, honouring Retry-After) until it is sent
   * or `timeoutMs` passed. Never rejects. In a serverless handler: `waitUntil(tracker.flush())`.
   */
  flush(options?: { timeoutMs?: number }): Promise<DrainResult>;
  /** Stops accepting events (track() then throws), then flushes like flush(). */
  close(options?: { timeoutMs?: number }): Promise<DrainResult>;
}

export function createNodeTracker(options: NodeTrackerOptions): NodeTracker {
  const session = uuid();
  let closed = false;
  const tally = countEvents();
  const tracker = createCore({
    endpoint: options.endpoint,
    sourceId: options.sourceId,
    transport: fetchTransport(options.fetch ?? fetch, options.timeoutMs ?? 10_000),
    store: memoryStore(),
    identity: { profileId: uuid, sessionId: () => session, setProfileId: () => undefined, reset: () => undefined },
    maxBatchEvents: options.maxBatchEvents ?? 100,
    flushMs: options.flushMs ?? 1_000,
    maxQueuedEvents: options.maxQueuedEvents ?? 10_000,
    maxQueuedBytes: 50_000_000,
    maxEventAgeMs: options.maxEventAgeMs,
    onDrop: options.onDrop,
    _counted: tally.counted,
    log: (message, detail) => options.onError?.(`[inflow] ${message}${detail === undefined ? '' : ` ${JSON.stringify(detail)}`}`),
    setTimer: (fn, ms) => {
      const timer: unknown = setTimeout(fn, ms);
      (timer as { unref?: () => void }).unref?.(); // never keep a server process alive for a retry
      return timer;
    },
  });
  const call = (event: ServerEvent, processed: boolean): Promise<Processed | undefined> => {
    if (closed) throw new Error('[inflow] the tracker is closed');
    return tracker.track(event.type, event.properties ?? {}, {
      processed,
      profileId: event.profileId,
      sessionId: event.sessionId ?? `${event.profileId}-server`,
      ...(event.context ? { context: event.context } : {}),
      ...(event.time ? { time: event.time } : {}),
      ...(event.category ? { category: event.category } : {}),
    });
  };
  const timeout = (given?: { timeoutMs?: number }): number => given?.timeoutMs ?? options.closeTimeoutMs ?? 10_000;
  return {
    track: (event) => void call(event, false),
    trackProcessed: (event) => {
      try {
        return call(event, true);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    flush: (given) => drain(tracker, tally.counts, timeout(given)),
    close: (given) => {
      closed = true;
      return drain(tracker, tally.counts, timeout(given));
    },
  };
}
