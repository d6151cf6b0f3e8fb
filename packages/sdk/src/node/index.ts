/** Server-side tracking for Node (and serverless handlers): batched, retried, flushed on close(). */
import { uuid } from '../core/ids.js';
import { resultOf } from '../core/http-result.js';
import { Tracker, type Processed } from '../core/tracker.js';
import type { JsonObject, SendResult, Transport } from '../core/types.js';
import { memoryStore } from '../plugins/memory-store.js';

export interface NodeTrackerOptions {
  endpoint: string;
  sourceId: string;
  maxBatchEvents?: number;
  flushMs?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Longest close() waits for the queue to empty. */
  closeTimeoutMs?: number;
  fetch?: typeof fetch;
  onError?: (message: string) => void;
}

export interface ServerEvent {
  profileId: string;
  sessionId?: string;
  type: string;
  properties?: JsonObject;
  context?: JsonObject;
  time?: Date;
}

export interface NodeTracker {
  track(event: ServerEvent): void;
  /** Sends now and resolves with the processed answer (profile, session and event ids). */
  trackProcessed(event: ServerEvent): Promise<Processed | undefined>;
  flush(): Promise<void>;
  /** Sends everything still queued; resolves with the number of events that could not be sent. */
  close(): Promise<number>;
}

export function createNodeTracker(options: NodeTrackerOptions): NodeTracker {
  const session = uuid();
  const tracker = new Tracker({
    endpoint: options.endpoint,
    sourceId: options.sourceId,
    transport: fetchTransport(options.fetch ?? fetch, options.timeoutMs ?? 10_000),
    store: memoryStore(),
    identity: { profileId: uuid, sessionId: () => session, setProfileId: () => undefined, reset: () => undefined },
    maxBatchEvents: options.maxBatchEvents ?? 100,
    flushMs: options.flushMs ?? 1_000,
    log: (message) => options.onError?.(message),
    setTimer: (fn, ms) => {
      const timer: unknown = setTimeout(fn, ms);
      (timer as { unref?: () => void }).unref?.(); // never keep a server process alive for a retry
      return timer;
    },
  });
  const call = (event: ServerEvent, processed: boolean) =>
    tracker.track(event.type, event.properties ?? {}, {
      processed,
      profileId: event.profileId,
      sessionId: event.sessionId ?? `${event.profileId}-server`,
      ...(event.context ? { context: event.context } : {}),
      ...(event.time ? { time: event.time } : {}),
    });
  return {
    track: (event) => void call(event, false),
    trackProcessed: (event) => call(event, true),
    flush: () => tracker.flush(),
    close: () => drain(tracker, options.closeTimeoutMs ?? 10_000),
  };
}

/** Flushes until nothing is queued or `timeoutMs` passed; resolves with what is still queued. */
async function drain(tracker: Tracker, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (tracker.pending > 0 && Date.now() < until) {
    await tracker.flush();
    if (tracker.pending > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return tracker.pending;
}

function fetchTransport(doFetch: typeof fetch, timeoutMs: number): Transport {
  return {
    async send(url, body): Promise<SendResult> {
      try {
        const response = await doFetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
        return await resultOf(response);
      } catch (error) {
        return { kind: 'network', error: String(error) };
      }
    },
  };
}
