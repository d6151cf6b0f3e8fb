/**
 * The /track wire contract as plain types. This module has no runtime code, so the
 * tracker SDK can import it without shipping a validator.
 */

export type JsonObject = { [key: string]: unknown };

export interface TrackEventOptions {
  /** Tracardi flag: the event may be processed asynchronously. */
  async?: boolean;
}

export interface TrackEvent {
  /** Stable id chosen by the client; the edge assigns one when absent. */
  id?: string;
  type: string;
  properties?: JsonObject;
  /** ISO-8601 string or epoch milliseconds. Defaults to the time the edge received it. */
  time?: string | number;
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
}

/** A payload after the edge filled every id that was missing: safe to process more than once. */
export interface NormalizedPayload extends TrackPayload {
  profile: EntityRef;
  session: EntityRef;
  events: Array<TrackEvent & { id: string }>;
}

/** Body of 200 (processed) and 201 (queued) answers. */
export interface TrackAccepted {
  queued: boolean;
  profile: EntityRef;
  session: EntityRef;
  events: string[];
}

export type TrackErrorCode =
  | 'malformed_json'
  | 'invalid_payload'
  | 'payload_too_large'
  | 'event_too_large'
  | 'too_many_events'
  | 'too_deep'
  | 'unsupported_media_type'
  | 'unknown_source'
  | 'source_disabled'
  | 'origin_not_allowed'
  | 'method_not_allowed'
  | 'not_found'
  | 'request_timeout'
  | 'unauthorized'
  | 'queue_unavailable'
  | 'shutting_down'
  | 'conflict'
  | 'internal';

/** Body of every 4xx/5xx answer. `path` names the offending field when there is one. */
export interface ErrorBody {
  error: {
    code: TrackErrorCode;
    message: string;
    path?: string;
  };
}
