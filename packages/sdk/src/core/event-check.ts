import { DEFAULT_MAX_EVENT_BYTES, FORBIDDEN_KEYS, MAX_EVENT_TYPE_LENGTH, MAX_FREE_FORM_ENTRIES, MAX_ID_LENGTH, MAX_JSON_DEPTH, MAX_KEY_LENGTH, isSafeName, EVENT_FREE_FORM_LEVEL } from '@inflow/protocol/limits';
import { InvalidEventError } from './errors.js';
import type { JsonObject, WireEvent } from './wire.js';

/** The edge allows ids and event types the same length, so one check serves both (this does not compile if they ever differ). */
const MAX_NAME_LENGTH: typeof MAX_EVENT_TYPE_LENGTH = MAX_ID_LENGTH;

/** Whether the edge accepts `value` as an id or an event type: 1 to MAX_NAME_LENGTH characters, no control characters. */
export const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH && isSafeName(value);

/** Refuses an id the edge would refuse, naming the field. */
export function checkName(value: unknown, path: string): string {
  if (!isName(value)) throw new InvalidEventError('invalid_id', path);
  return value;
}

/**
 * The event as the edge will see it, or an InvalidEventError naming the bad field. Serialises
 * once (a BigInt or a circular object fails here, in this call only) and walks the copy: the
 * same type, id, depth, key and entry limits as the edge, and the event's size in UTF-8 bytes
 * with its context (at most the edge's default largest event).
 * The copy is what gets queued, so later changes to the caller's objects cannot reach it.
 */
export function checkEvent(event: WireEvent, context: JsonObject): { event: WireEvent; bytes: number } {
  if (!isName(event.type)) throw new InvalidEventError('invalid_event', 'type');
  checkName(event.id, 'id');
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch (error) {
    throw new InvalidEventError('unserializable', 'properties', ` (${String(error)})`);
  }
  const copy = JSON.parse(json) as WireEvent;
  let entries = 0;
  const walk = (value: unknown, path: string, level: number): void => {
    if (value && typeof value === 'object') {
      if (level > MAX_JSON_DEPTH) throw new InvalidEventError('too_deep', path);
      const children = Object.entries(value);
      if ((entries += children.length) > MAX_FREE_FORM_ENTRIES) throw new InvalidEventError('too_many_entries', path);
      // An array's keys are its indexes, which pass every key check.
      for (const [key, child] of children) {
        if (!key || key.length > MAX_KEY_LENGTH || key.includes('\u0000') || FORBIDDEN_KEYS.has(key)) throw new InvalidEventError('invalid_key', `${path}.${key}`);
        walk(child, `${path}.${key}`, level + 1);
      }
    }
  };
  walk(copy.properties, 'properties', EVENT_FREE_FORM_LEVEL);
  walk(context, 'context', EVENT_FREE_FORM_LEVEL);
  // UTF-8 bytes, as the transport measures a body, with the context: the event is stored with
  // its batch's context merged in, and the edge counts it so (its share of a batch's bytes is
  // counted high by as much: the context is sent once per batch).
  const bytes = new Blob([json, JSON.stringify(context)]).size;
  if (bytes > DEFAULT_MAX_EVENT_BYTES) throw new InvalidEventError('event_too_large', 'event', ` (${bytes} bytes)`);
  return { event: copy, bytes };
}
