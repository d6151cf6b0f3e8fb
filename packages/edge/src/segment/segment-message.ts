import { eventTimeMs, isSafeName, MAX_EVENT_TYPE_LENGTH, MAX_ID_LENGTH, type JsonObject, UNSAFE_NAME_PROBLEM } from '@inflow/protocol';

/** The six Segment calls. */
export type SegmentType = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';

export const SEGMENT_TYPES: readonly SegmentType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** A Segment message after its fields were checked: ids as strings, objects as objects. */
export interface SegmentMessage {
  type: SegmentType;
  userId?: string;
  anonymousId?: string;
  messageId?: string;
  /** track: the event name. */
  event?: string;
  /** page, screen: the page or screen name and category. */
  name?: string;
  category?: string;
  /** group: the group's id. alias: the id the user had before. */
  groupId?: string;
  previousId?: string;
  properties?: JsonObject;
  traits?: JsonObject;
  context?: JsonObject;
  /** As sent: ISO-8601 strings (or epoch milliseconds; seconds below 10^11), client clock. */
  timestamp?: string | number;
  originalTimestamp?: string | number;
  sentAt?: string | number;
}

export type MessageCheck = { ok: true; message: SegmentMessage } | { ok: false; field: string; problem: string };

/**
 * Checks one Segment message. `type` is the endpoint's type (/v1/track…) or, in a batch,
 * undefined: then the message's own `type` decides. Names the field at fault.
 */
export function checkMessage(value: unknown, endpointType: SegmentType | undefined): MessageCheck {
  if (!isObject(value)) return bad('', 'must be a JSON object');
  const type = endpointType ?? value['type'];
  if (!SEGMENT_TYPES.includes(type as SegmentType)) {
    return bad('type', `must be one of ${SEGMENT_TYPES.join(', ')}`);
  }
  const message: SegmentMessage = { type: type as SegmentType };
  for (const field of ['userId', 'anonymousId', 'messageId', 'groupId', 'previousId'] as const) {
    const raw = value[field];
    if (typeof raw === 'number' && Number.isFinite(raw) && Math.abs(raw) > Number.MAX_SAFE_INTEGER) {
      // JSON numbers past 2^53 lose their last digits when read: two users would become one profile.
      return bad(field, `is a number past 2^53 (${Number.MAX_SAFE_INTEGER}), whose last digits are lost when read: send it as a string`);
    }
    const id = idOf(raw);
    if (id === null) return bad(field, `must be a non-empty string (or number) of at most ${MAX_ID_LENGTH} characters`);
    if (id !== undefined) message[field] = id;
  }
  // The profile's id (userId, else anonymousId) and the event's: refused here with the name the
  // client knows, rather than by the /track check. An anonymousId beside a userId is only kept in
  // the event's context, where any string may stand.
  for (const field of [message.userId !== undefined ? 'userId' : 'anonymousId', 'messageId'] as const) {
    const id = message[field];
    if (id !== undefined && !isSafeName(id)) return bad(field, UNSAFE_NAME_PROBLEM);
  }
  if (message.userId === undefined && message.anonymousId === undefined) {
    return bad('userId', 'or anonymousId is required in every message');
  }
  for (const field of ['properties', 'traits', 'context'] as const) {
    const object = value[field];
    if (object === undefined || object === null) continue;
    if (!isObject(object)) return bad(field, 'must be a JSON object');
    message[field] = object;
  }
  for (const field of ['event', 'name', 'category'] as const) {
    const text = value[field];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') return bad(field, 'must be a string');
    message[field] = text;
  }
  for (const field of ['timestamp', 'originalTimestamp', 'sentAt'] as const) {
    const time = value[field];
    if (time === undefined || time === null) continue;
    if (!isTime(time)) return bad(field, 'must be an ISO-8601 date string (or epoch milliseconds or seconds) in the years 0000 to 9999');
    message[field] = time;
  }
  return checkType(message);
}

function checkType(message: SegmentMessage): MessageCheck {
  switch (message.type) {
    case 'track':
      if (!message.event || message.event.length > MAX_EVENT_TYPE_LENGTH) {
        return bad('event', `must be an event name of 1 to ${MAX_EVENT_TYPE_LENGTH} characters in a track call`);
      }
      // The event's type: named here as the client knows it, rather than by the /track check.
      if (!isSafeName(message.event)) return bad('event', UNSAFE_NAME_PROBLEM);
      break;
    case 'group':
      if (message.groupId === undefined) return bad('groupId', 'is required in a group call');
      break;
    case 'alias':
      if (message.previousId === undefined) return bad('previousId', 'is required in an alias call');
      if (message.userId === undefined) return bad('userId', 'is required in an alias call (the new id)');
      break;
    default:
      break;
  }
  return { ok: true, message };
}

/** undefined: absent (an empty string counts as absent, as clients send it); null: not a usable id. */
function idOf(value: unknown): string | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  const id = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH ? id : null;
}

/** A time storage can index (as /track's event times): a number past year 9999 would make no date at all. */
function isTime(value: unknown): value is string | number {
  return (typeof value === 'number' || typeof value === 'string') && eventTimeMs(value) !== undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(field: string, problem: string): MessageCheck {
  return { ok: false, field, problem };
}
