import {
  EVENT_TIME_PROBLEM,
  isEventTime,
  isSafeName,
  MAX_EVENT_TYPE_LENGTH,
  MAX_ID_LENGTH,
  nameLengthProblem,
  SENT_AT_PROBLEM,
  sentAtMs,
  UNSAFE_NAME_PROBLEM,
  wrongKindProblem,
} from './track-rules.js';
import type { TrackEvent, TrackPayload } from './types.js';

export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

/**
 * The /track schema (track-schema.ts) compiled into plain functions, built once at load.
 * Fields are checked in the schema's order and the first problem is reported with the same
 * path and message superstruct's validate gives (check-track-payload.test.ts holds them to
 * it), without its generators and failure objects: a valid payload allocates nothing.
 */

interface Problem {
  /** Keys from the field that failed up to the checked value, innermost first; filled only on failure. */
  readonly keys: Array<string | number>;
  readonly message: string;
}

/** Checks one value: undefined when it passes. */
type Check = (value: unknown) => Problem | undefined;

const problem = (message: string): Problem => ({ keys: [], message });

/** A missing field, or a present one of the wrong kind. */
const wrongKind = (value: unknown, expected: string): Problem =>
  problem(value === undefined ? `is required (expected ${expected})` : wrongKindProblem(expected, value));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object with these fields, checked in this order; other keys are tolerated. */
function shape(fields: Record<string, Check>): Check {
  const keys = Object.keys(fields);
  const checks = Object.values(fields);
  return (value) => {
    if (!isObject(value)) return wrongKind(value, 'an object');
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const found = (checks[i] as Check)(value[key]);
      if (found) {
        found.keys.push(key);
        return found;
      }
    }
    return undefined;
  };
}

function list(item: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return wrongKind(value, 'an array');
    for (let i = 0; i < value.length; i++) {
      const found = item(value[i]);
      if (found) {
        found.keys.push(i);
        return found;
      }
    }
    return undefined;
  };
}

const optional = (check: Check): Check => (value) => (value === undefined ? undefined : check(value));

const nullable = (check: Check): Check => (value) => (value === null ? undefined : check(value));

/** An id or a type: a string of 1 to maxLength UTF-16 code units, printable. */
function name(maxLength: number): Check {
  const tooLong = nameLengthProblem(maxLength);
  return (value) => {
    if (typeof value !== 'string') return wrongKind(value, 'a string');
    if (value.length === 0 || value.length > maxLength) return problem(tooLong);
    return isSafeName(value) ? undefined : problem(UNSAFE_NAME_PROBLEM);
  };
}

/** A free-form object (properties, context); its content is checked by checkPayloadContent. */
const freeForm: Check = (value) =>
  isObject(value) ? undefined : wrongKind(value, 'an object');

const flag: Check = (value) =>
  typeof value === 'boolean' ? undefined : wrongKind(value, 'a boolean');

const eventTime: Check = (value) => (isEventTime(value) ? undefined : problem(EVENT_TIME_PROBLEM));

const sentAt: Check = (value) => (sentAtMs(value) !== undefined ? undefined : problem(SENT_AT_PROBLEM));

const id = name(MAX_ID_LENGTH);
const entityRef = shape({ id });

const trackEvent = shape({
  id: optional(id),
  type: name(MAX_EVENT_TYPE_LENGTH),
  properties: optional(freeForm),
  time: optional(eventTime),
  context: optional(freeForm),
  options: optional(shape({ async: optional(flag) })),
});

/** The payload's fields, with `events` given: the whole payload checks each event, its head only that it is an array. */
const payloadWith = (events: Check): Check =>
  shape({
    source: entityRef,
    profile: optional(nullable(entityRef)),
    session: optional(nullable(entityRef)),
    events,
    context: optional(freeForm),
    properties: optional(freeForm),
    options: optional(shape({ queue: optional(flag) })),
    sentAt: optional(sentAt),
  });

const trackPayload = payloadWith(list(trackEvent));
const trackPayloadHead = payloadWith(list(() => undefined));

/** Checks a parsed JSON value against the /track contract and names the first bad field. */
export function checkTrackPayload(value: unknown): SchemaCheck<TrackPayload> {
  return answer(trackPayload(value), value as TrackPayload);
}

/**
 * Checks everything of a /track payload but its events' content (that `events` is an array
 * is checked): what must hold for any of its events to be accepted.
 */
export function checkTrackPayloadHead(value: unknown): SchemaCheck<TrackPayload> {
  return answer(trackPayloadHead(value), value as TrackPayload);
}

/** Checks one event; the path of a problem starts at `events.<index>`. */
export function checkTrackEvent(value: unknown, index: number): SchemaCheck<TrackEvent> {
  const found = trackEvent(value);
  if (found) found.keys.push(index, 'events');
  return answer(found, value as TrackEvent);
}

function answer<T>(found: Problem | undefined, value: T): SchemaCheck<T> {
  if (!found) return { ok: true, value };
  const path = found.keys.length > 0 ? found.keys.reverse().join('.') : '(root)';
  return { ok: false, path, message: found.message };
}
