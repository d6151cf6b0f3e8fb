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
  type Describe,
  type Struct,
} from 'superstruct';
import { firstFailure, validateJson } from './validate-json.js';
import type { SchemaCheck } from './check-track-payload.js';
import { EVENT_TIME_PROBLEM, isEventTime, isSafeName, MAX_EVENT_TYPE_LENGTH, MAX_ID_LENGTH, SENT_AT_PROBLEM, sentAtMs, UNSAFE_NAME_PROBLEM, wrongKindProblem } from './track-rules.js';
import type { EntityRef, EventTime, JsonObject, TrackEvent, TrackPayload } from './types.js';

export { checkTrackPayload, type SchemaCheck } from './check-track-payload.js';
export { MAX_ID_LENGTH, MAX_EVENT_TYPE_LENGTH, MIN_EVENT_TIME, MAX_EVENT_TIME } from './track-rules.js';

/**
 * The /track contract as superstruct schemas. The edge checks bodies with the compiled
 * checkTrackPayload (check-track-payload.ts), which applies the same rules in the same order;
 * checkTrackPayloadWithSchema is its reference, and a test holds the two to the same answers.
 */

const safeName = <T extends string>(struct: Struct<T, null>): Struct<T, null> =>
  refine(struct, 'printable', (value) => isSafeName(value) || UNSAFE_NAME_PROBLEM);

const id = safeName(size(string(), 1, MAX_ID_LENGTH));

/**
 * Free-form objects (properties, context) are checked for being an object only here: their
 * keys, size and entries are checked in one iterative walk by checkPayloadContent
 * (payload-content.ts), which the edge runs after this schema.
 */
const jsonObject = define<JsonObject>('object', (value) => typeof value === 'object' && value !== null && !Array.isArray(value)) as unknown as Describe<JsonObject>;

/** An ISO-8601 string or epoch milliseconds (or Tracardi's { create }) that Date can read, between MIN_EVENT_TIME and MAX_EVENT_TIME. */
const eventTime: Struct<EventTime, null> = define('event time', (value) => isEventTime(value) || EVENT_TIME_PROBLEM);

/** A request's sentAt: an ISO-8601 string or epoch milliseconds, read as event times are. */
const sentAt: Struct<string | number, null> = define('sent time', (value) => sentAtMs(value) !== undefined || SENT_AT_PROBLEM);

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
  sentAt: optional(sentAt),
});

/** checkTrackPayload done by superstruct: the same answers, many times slower. */
export function checkTrackPayloadWithSchema(value: unknown): SchemaCheck<TrackPayload> {
  const [error, payload] = validateJson(value, TrackPayloadSchema);
  if (!error) return { ok: true, value: payload };
  const failure = firstFailure(error);
  const path = failure.path.length > 0 ? failure.path.join('.') : '(root)';
  return { ok: false, path, message: describeFailure(failure.type, failure.value, failure.message, failure.refinement) };
}

const EXPECTED_NAMES: Record<string, string> = {
  type: 'an object',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  string: 'a string',
  boolean: 'a boolean',
};

function describeFailure(expected: string, actual: unknown, message: string, refinement: string | undefined): string {
  if (actual === undefined && refinement === undefined && !message.startsWith('expected an ISO')) {
    return `is required (expected ${EXPECTED_NAMES[expected] ?? expected})`;
  }
  if (refinement === 'size') {
    return `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  }
  // superstruct's own "Expected …, but received: …" renders [] as nothing and {} as [object Object].
  const name = EXPECTED_NAMES[expected];
  if (name !== undefined && refinement === undefined && message.startsWith('Expected ')) return wrongKindProblem(name, actual);
  return message;
}
