/**
 * The /track wire contract as plain types. This module has no runtime code, so the
 * tracker SDK can import it without shipping a validator.
 */
import type { RejectedEvent } from './limits.js';

export type JsonObject = { [key: string]: unknown };

export interface TrackEventOptions {
  /** Tracardi flag: the event may be processed asynchronously. */
  async?: boolean;
}

/**
 * An ISO-8601 string or epoch milliseconds (seconds below 10^11), or Tracardi's shape `{ create: <one of those> }`
 * (its tracker sends `time: { create: "2026-11-29T16:00:00.000Z" }`).
 */
export type EventTime = string | number | { create: string | number };

export interface TrackEvent {
  /** Stable id chosen by the client; the edge assigns one when absent. */
  id?: string;
  type: string;
  properties?: JsonObject;
  /** When it happened. Defaults to the time the edge received it. */
  time?: EventTime;
  context?: JsonObject;
  options?: TrackEventOptions;
}

export interface TrackOptions {
  /** true: append to the queue and answer 201 at once; false or absent: process in the request, answer 200. */
  queue?: boolean;
}

export interface EntityRef {
  id: string;
}

export interface TrackPayload {
  source: EntityRef;
  profile?: EntityRef | null;
  session?: EntityRef | null;
  events: TrackEvent[];
  context?: JsonObject;
  properties?: JsonObject;
  options?: TrackOptions;
  /**
   * When the client sent this request, by its own clock (ISO-8601, or epoch milliseconds or seconds). With it
   * the events' own times are corrected for the client's clock (time + receivedAt − sentAt), as
   * Segment does; stamp it at each attempt, a retry included. The tracker sends it.
   */
  sentAt?: string | number;
}

/** A payload after the edge filled every id that was missing: safe to process more than once. */
export interface NormalizedPayload extends TrackPayload {
  profile: EntityRef;
  session: EntityRef;
  events: Array<TrackEvent & { id: string }>;
}

/**
 * One event refused alone (`rejected` in a 200/201 answer, and in a 400 when every event was):
 * `index` into the request's `events`, its `id` when it sent a usable one, the error `code`
 * (a TrackErrorCode), the `message` and the offending field's `path` (e.g. `events.3.type`).
 * Declared with the limits a client checks (limits.ts), so the tracker can state it without a validator.
 */
export type { RejectedEvent };

/** Body of 200 (processed) and 201 (queued) answers. */
export interface TrackAccepted {
  queued: boolean;
  /** The profile the request was applied to (see PendingProfileAnswer for the one 201 that cannot name it). */
  profile: EntityRef;
  session: EntityRef;
  /** Ids of the accepted events, in request order. */
  events: string[];
  /** Events refused alone (bad type, id, time, content or size); absent when every event was accepted. */
  rejected?: RejectedEvent[];
}

/**
 * The 201 to a queued request that named a session but no profile: it belongs to the session's
 * profile (for a new session, a profile id derived from the session id), which the collector
 * resolves, so the answer cannot name it yet.
 */
export interface PendingProfileAnswer extends Omit<TrackAccepted, 'queued' | 'profile'> {
  queued: true;
  profile: null;
}

/** Every success answer of /track. */
export type TrackAnswer = TrackAccepted | PendingProfileAnswer;

export type TrackErrorCode =
  | 'malformed_json'
  | 'invalid_payload'
  | 'payload_too_large'
  | 'event_too_large'
  | 'too_many_events'
  | 'too_deep'
  | 'unsupported_media_type'
  /** A Content-Encoding other than gzip, deflate or br. */
  | 'unsupported_encoding'
  /** A body that does not decode from its Content-Encoding. */
  | 'malformed_encoding'
  /** A Transfer-Encoding other than chunked (the HTTP layer's 501). */
  | 'unsupported_transfer_encoding'
  /** An HTTP request the server's parser refused (INFLOW_HTTP_SERVER=node; uWebSockets.js closes such connections). */
  | 'malformed_request'
  | 'unknown_source'
  | 'source_disabled'
  | 'origin_not_allowed'
  | 'method_not_allowed'
  /** A path segment that is not valid percent-encoded UTF-8 (`%ZZ`, a lone surrogate). */
  | 'malformed_path'
  | 'not_found'
  | 'request_timeout'
  | 'unauthorized'
  | 'queue_unavailable'
  /** The private API: a service it reads from (the trace, the stats board) cannot be reached now. */
  | 'service_unavailable'
  | 'shutting_down'
  | 'conflict'
  /** The private API's If-Match named a version that is no longer current. */
  | 'precondition_failed'
  | 'internal';

/** Body of every 4xx/5xx answer. `path` names the offending field when there is one. */
export interface ErrorBody {
  error: {
    code: TrackErrorCode;
    message: string;
    path?: string;
  };
  /** In a 400 to /track where every event was refused on its own: each event's problem. */
  rejected?: RejectedEvent[];
}
