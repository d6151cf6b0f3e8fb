import type { JsonObject, WireEvent } from './wire.js';

export type { JsonObject };

/** One event waiting to be sent: the wire event plus what the payload needs around it. */
export interface QueuedEvent {
  event: WireEvent;
  profileId: string;
  sessionId: string;
  /** Page context, sent once per request in the payload's top-level `context`. */
  context: JsonObject;
  /** Consent category the event belongs to (absent: analytics). */
  category?: string;
  /** When it was tracked (epoch ms): the queue gives up events older than its age bound. */
  at: number;
  /** UTF-8 bytes of the event's JSON, measured once at track(). */
  bytes: number;
  /** true: answer 200 with the processed profile (the caller waits for it). */
  processed?: boolean;
  /** Handed to a beacon or keepalive request on page hide: sent, but not confirmed yet. */
  beacon?: boolean;
}

/** What a transport reports back; expected outcomes are values, not exceptions. */
export type SendResult =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'http'; status: number; retryAfterMs?: number }
  | { kind: 'network'; error: string }
  /** Handed to the browser (sendBeacon) with no answer to read: never counts as delivered. */
  | { kind: 'beacon' };

export interface Transport {
  /** Never rejects: every failure is a SendResult. */
  send(url: string, body: string, options: { unloading: boolean }): Promise<SendResult>;
}

/** Where queued events wait: memory, or a persistent store in the browser. */
export interface EventStore {
  load(): QueuedEvent[];
  save(events: QueuedEvent[]): void;
  clear(): void;
  /** Takes over events left by pages that are gone (closed tabs); each is handed to one page only. */
  adopt?(): Promise<QueuedEvent[]>;
}

/** Why events were given up: a queue bound was hit, or the edge or the rules refused them. */
export type DropReason = 'queue-full' | 'too-old' | 'rejected' | 'too-large' | 'consent';

/** Told about every event given up after it was accepted by track(); never called for a transient failure. */
export type DropListener = (events: WireEvent[], reason: DropReason) => void;

export interface Logger {
  (message: string, detail?: unknown): void;
}
