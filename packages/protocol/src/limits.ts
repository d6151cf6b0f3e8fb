/**
 * The limits a client needs to refuse an event before sending it, with no validator attached:
 * the tracker SDK imports this entry point and ships only these constants and one regex.
 */
export { MAX_ID_LENGTH, MAX_EVENT_TYPE_LENGTH, isSafeName } from './track-rules.js';
export { MAX_JSON_DEPTH, MAX_KEY_LENGTH, MAX_FREE_FORM_ENTRIES, FORBIDDEN_KEYS } from './content-limits.js';

/** The edge's default largest event (INFLOW_MAX_EVENT_BYTES), in UTF-8 bytes of its JSON. */
export const DEFAULT_MAX_EVENT_BYTES = 65_536;
/** The edge's default most events in one /track request (INFLOW_MAX_EVENTS). */
export const DEFAULT_MAX_EVENTS_PER_REQUEST = 100;
/** The edge's default largest /track body (INFLOW_MAX_BODY_BYTES), in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;
/**
 * Levels the /track envelope uses above an event's `properties` and `context` (body, `events`,
 * event, field): free-form content of an event may nest MAX_JSON_DEPTH minus this many levels.
 */
export const EVENT_FREE_FORM_LEVEL = 4;

/** One problem the edge found with one event of an otherwise accepted request (`rejected` in a 200/201 answer). */
export interface RejectedEvent {
  /** Index into the request's `events`. */
  index: number;
  id?: string;
  code: string;
  message: string;
  path?: string;
}
