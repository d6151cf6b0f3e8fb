import { checkTrackPayload, type TrackPayload } from '@inflow/protocol';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { errorReply } from '../http/replies.js';

export interface TrackLimits {
  maxEvents: number;
  maxEventBytes: number;
}

export type BodyRead = { ok: true; payload: TrackPayload; raw: string } | { ok: false; reply: HttpReply };

const ACCEPTED_TYPES = ['application/json', 'text/plain'];

/**
 * Turns a /track body into a checked payload, or into the 4xx answer that names what is
 * wrong: media type, JSON syntax, the schema (with the field's path), or a limit.
 */
export function readTrackBody(request: HttpRequest, limits: TrackLimits): BodyRead {
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type !== '' && !ACCEPTED_TYPES.includes(type)) {
    return fail(415, 'unsupported_media_type', `content type ${type} is not accepted; send application/json or text/plain`);
  }
  const raw = request.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return fail(400, 'malformed_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const check = checkTrackPayload(parsed);
  if (!check.ok) return fail(400, 'invalid_payload', `${check.path} ${check.message}`, check.path);
  const payload = check.value;
  if (payload.events.length > limits.maxEvents) {
    return fail(400, 'too_many_events', `the payload has ${payload.events.length} events; at most ${limits.maxEvents} are accepted per request`, 'events');
  }
  // No event can be larger than the whole body: measure each one only when the body is.
  if (request.body.length > limits.maxEventBytes) {
    for (let i = 0; i < payload.events.length; i++) {
      const size = Buffer.byteLength(JSON.stringify(payload.events[i]), 'utf8');
      if (size > limits.maxEventBytes) {
        return fail(400, 'event_too_large', `event ${i} is ${size} bytes; at most ${limits.maxEventBytes} are accepted per event`, `events.${i}`);
      }
    }
  }
  return { ok: true, payload, raw };
}

function fail(status: number, code: Parameters<typeof errorReply>[1], message: string, path?: string): BodyRead {
  return { ok: false, reply: errorReply(status, code, message, path === undefined ? undefined : { path }) };
}
