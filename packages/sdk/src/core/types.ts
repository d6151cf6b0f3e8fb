import type { JsonObject, TrackEvent, TrackPayload } from '@inflow/protocol/types';

export type { JsonObject };

/** One event waiting to be sent: the wire event plus what the payload needs around it. */
export interface QueuedEvent {
  event: TrackEvent & { id: string; time: string };
  profileId: string;
  sessionId: string;
  context: JsonObject;
  /** true: answer 200 with the processed profile (the caller waits for it). */
  processed?: boolean;
}

export type Payload = TrackPayload;

/** What a transport reports back; expected outcomes are values, not exceptions. */
export type SendResult =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'http'; status: number; retryAfterMs?: number }
  | { kind: 'network'; error: string };

export interface Transport {
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

export interface Logger {
  (message: string, detail?: unknown): void;
}
