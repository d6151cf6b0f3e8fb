import {
  array,
  boolean,
  define,
  nullable,
  optional,
  refine,
  size,
  string,
  type,
  validate,
  type Describe,
  type Struct,
} from 'superstruct';
import type { EntityRef, JsonObject, TrackEvent, TrackPayload } from './types.js';

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

const safeName = <T extends string>(struct: Struct<T, null>): Struct<T, null> =>
  refine(struct, 'printable', (value) => !UNSAFE_NAME.test(value) || 'must not contain control characters or unpaired UTF-16 surrogates');

const id = safeName(size(string(), 1, MAX_ID_LENGTH));

/**
 * Free-form objects (properties, context) are checked for being an object only here: their
 * keys, size and entries are checked in one iterative walk by checkPayloadContent
 * (payload-content.ts), which the edge runs after this schema.
 */
const jsonObject = define<JsonObject>('object', (value) => typeof value === 'object' && value !== null && !Array.isArray(value)) as unknown as Describe<JsonObject>;

/** An ISO-8601 string or epoch milliseconds that Date can read, between MIN_EVENT_TIME and MAX_EVENT_TIME. */
const eventTime: Struct<string | number, null> = define('event time', (value) => {
  const ms = typeof value === 'number' ? value : typeof value === 'string' && value.length <= 64 ? Date.parse(value) : NaN;
  const ok = Number.isFinite(ms) && ms >= MIN_EVENT_TIME && ms <= MAX_EVENT_TIME;
  return ok || 'expected an ISO-8601 date string or epoch milliseconds, in the years 0000 to 9999';
});

const entityRef: Describe<EntityRef> = type({ id });

/** Unknown keys are tolerated (and ignored) so that newer trackers keep working. */
export const TrackEventSchema: Describe<TrackEvent> = type({
  id: optional(id),
  type: safeName(size(string(), 1, MAX_EVENT_TYPE_LENGTH)),
  properties: optional(jsonObject),
  time: optional(eventTime),
  context: optional(jsonObject),
  options: optional(type({ async: optional(boolean()) })),
});

export const TrackPayloadSchema: Describe<TrackPayload> = type({
  source: entityRef,
  profile: optional(nullable(entityRef)),
  session: optional(nullable(entityRef)),
  events: array(TrackEventSchema),
  context: optional(jsonObject),
  properties: optional(jsonObject),
  options: optional(type({ queue: optional(boolean()) })),
});

export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

/** Checks a parsed JSON value against the /track contract and names the first bad field. */
export function checkTrackPayload(value: unknown): SchemaCheck<TrackPayload> {
  const [error, payload] = validate(value, TrackPayloadSchema);
  if (!error) return { ok: true, value: payload };
  const failure = error.failures()[0] ?? error;
  const path = failure.path.length > 0 ? failure.path.join('.') : '(root)';
  return { ok: false, path, message: describeFailure(failure.type, failure.value, failure.message, failure.refinement) };
}

const EXPECTED_NAMES: Record<string, string> = {
  type: 'an object',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  string: 'a string',
};

function describeFailure(expected: string, actual: unknown, message: string, refinement: string | undefined): string {
  if (actual === undefined && refinement === undefined && !message.startsWith('expected an ISO')) {
    return `is required (expected ${EXPECTED_NAMES[expected] ?? expected})`;
  }
  if (refinement === 'size') {
    return `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  }
  return message;
}
