/**
 * The rules of the /track contract's fields, stated once: the superstruct schemas
 * (track-schema.ts) and the compiled check the edge runs (check-track-payload.ts) both use them.
 */

/** Longest id (source, profile, session, event) the edge accepts. */
export const MAX_ID_LENGTH = 128;
/** Longest event type name. */
export const MAX_EVENT_TYPE_LENGTH = 128;

/** Earliest and latest event time storage can index: years 0000 to 9999 (Elasticsearch refuses other years). */
export const MIN_EVENT_TIME = Date.parse('0000-01-01T00:00:00.000Z');
export const MAX_EVENT_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Control characters and unpaired UTF-16 surrogates (in unicode mode a pair is one code point,
 * so only a lone half matches). Ids and types become storage keys and URL paths, where a lone
 * surrogate turns into U+FFFD: two different ids would collide, and URL encoding throws.
 */
const UNSAFE_NAME = /[\p{Cc}\p{Cs}]/u;

export const UNSAFE_NAME_PROBLEM = 'must not contain control characters or unpaired UTF-16 surrogates';

export function isSafeName(text: string): boolean {
  return !UNSAFE_NAME.test(text);
}

export const EVENT_TIME_PROBLEM = 'expected an ISO-8601 date string or epoch milliseconds (or {"create": one of those}), in the years 0000 to 9999';

/**
 * An ISO-8601 string or epoch milliseconds that Date can read, between MIN_EVENT_TIME and
 * MAX_EVENT_TIME; or Tracardi's `{ create: <one of those> }` (other keys of it are ignored).
 */
export function isEventTime(value: unknown): boolean {
  return eventTimeMs(value) !== undefined;
}

/**
 * A string time names its year in full: an ISO-8601 date first (an expanded year too), or four
 * digits standing alone (the RFC 1123 dates some clients send), not part of a time-zone offset.
 * Date.parse alone also reads "0" as the year 2000 and "1 GMT+0100" as 2000-12-31, and a
 * client's mistake would be stored as a time.
 */
const FULL_YEAR = /^\s*[+-]?\d{4,6}-\d\d|(?<![+\-\d:])\d{4}(?![\d:])/;

/** The event time in epoch milliseconds, or undefined when it is not one isEventTime accepts. */
export function eventTimeMs(value: unknown): number | undefined {
  const at = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { create?: unknown }).create : value;
  const ms = typeof at === 'number' ? at : typeof at === 'string' && at.length <= 64 && FULL_YEAR.test(at) ? Date.parse(at) : NaN;
  return Number.isFinite(ms) && ms >= MIN_EVENT_TIME && ms <= MAX_EVENT_TIME ? ms : undefined;
}

/** What a length check of an id or a type says (the same words for both limits). */
export const nameLengthProblem = (maxLength: number): string => `must be a non-empty string of at most ${maxLength} characters`;
