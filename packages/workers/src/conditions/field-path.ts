import type { EventRecord, ProfileRecord, SessionRecord } from '@inflow/core';

/** What a condition or a mapping reads: the event and the profile and session it resolved to. */
export interface Subject {
  event: EventRecord;
  profile: ProfileRecord;
  session: SessionRecord;
}

type Root = keyof Subject;

/**
 * The fields of each record a path may name. `open` fields hold free-form data: any path below
 * them is allowed (it may be absent on a given event); a `closed` field is a leaf or a record
 * with known keys.
 */
const FIELDS: Record<Root, { closed: readonly string[]; open: readonly string[] }> = {
  event: {
    closed: ['id', 'type', 'time', 'receivedAt', 'sourceId', 'profileId', 'sessionId', 'requestId', 'userAgent', 'async'],
    open: ['properties', 'context', 'page'],
  },
  profile: {
    closed: ['id', 'createdAt', 'updatedAt', 'firstVisitAt', 'lastVisitAt', 'visits', 'eventCount', 'lastSourceId', 'version'],
    open: ['traits', 'segments'],
  },
  session: {
    closed: ['id', 'profileId', 'sourceId', 'startedAt', 'lastEventAt', 'eventCount', 'userAgent', 'ip', 'referrer', 'version'],
    open: ['landingPage', 'utm', 'context'],
  },
};

const MAX_PATH_SEGMENTS = 16;

/** A dotted path such as `event.properties.sku`, checked once and split for fast reads. */
export type FieldPath = readonly string[];

/** Splits and checks a path; answers the problem when it can never name a field. */
export function parseFieldPath(text: string): FieldPath | { problem: string } {
  const segments = text.split('.');
  if (segments.some((segment) => segment.length === 0)) return { problem: `"${text}" has an empty segment` };
  if (segments.length > MAX_PATH_SEGMENTS) return { problem: `"${text}" is deeper than ${MAX_PATH_SEGMENTS} segments` };
  const [root, field, ...rest] = segments;
  if (root !== 'event' && root !== 'profile' && root !== 'session') {
    return { problem: `"${text}" must start with event., profile. or session.` };
  }
  if (field === undefined) return { problem: `"${text}" names a whole record; name one of its fields` };
  const known = FIELDS[root];
  if (known.open.includes(field)) return segments;
  if (known.closed.includes(field)) {
    return rest.length === 0 ? segments : { problem: `"${text}": ${root}.${field} has no fields below it` };
  }
  return { problem: `"${text}": ${root} has no field "${field}" (known: ${[...known.closed, ...known.open].join(', ')})` };
}

export function isFieldPath(parsed: FieldPath | { problem: string }): parsed is FieldPath {
  return Array.isArray(parsed);
}

/** The value at the path, or undefined when any step is missing. Never reads inherited properties. */
export function readField(subject: Subject, path: FieldPath): unknown {
  let value: unknown = subject;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
