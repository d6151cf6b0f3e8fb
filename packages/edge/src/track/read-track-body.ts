import { isUtf8 } from 'node:buffer';
import { checkTrackRequest, jsonNestingDepth, MAX_JSON_DEPTH, valueNestingDepth, type ErrorBody, type RejectedEvent, type TrackPayload } from '@inflow/protocol';
import { type BodyCoding, contentEncodingOf, decodeBody, type DecodedBody, refusedContentType } from '../http/body-headers.js';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { errorReply, json } from '../http/replies.js';

export interface TrackLimits {
  maxEvents: number;
  maxEventBytes: number;
  /** A compressed body's size once decoded, at most (default 1,000,000, as the HTTP layer's limit). */
  maxBodyBytes?: number;
}

/** Content codings /track decodes (a Node or server-side client may compress its batches). */
export const TRACK_CODINGS: readonly BodyCoding[] = ['gzip', 'deflate', 'br'];
const DEFAULT_MAX_BODY_BYTES = 1_000_000;

/**
 * The /track body decoded from its Content-Encoding (none, gzip, deflate or br), or the 4xx
 * answer naming why not: another coding (415), a body that does not decode (400), or one
 * that decodes past the body limit (413). Compressed bodies decode off the request thread.
 */
export function decodeTrackBody(request: HttpRequest, limits: TrackLimits): Promise<DecodedTrackBody> | DecodedTrackBody {
  const coding = contentEncodingOf(request);
  if (coding === '') return { ok: true, body: request.body };
  // Nothing is decoded for a body that would be refused anyway.
  const refused = refusedMediaType(request);
  if (refused) return refused;
  const decoded = decodeBody(request.body, coding, TRACK_CODINGS, limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  return decoded instanceof Promise ? decoded.then(trackDecoding) : trackDecoding(decoded);
}

export type DecodedTrackBody = { ok: true; body: Buffer } | { ok: false; reply: HttpReply };

function trackDecoding(decoded: DecodedBody): DecodedTrackBody {
  if (decoded.ok) return decoded;
  if (decoded.problem === 'unsupported') return fail(415, 'unsupported_encoding', decoded.message);
  if (decoded.problem === 'too_large') return fail(413, 'payload_too_large', decoded.message);
  return fail(400, 'malformed_encoding', decoded.message);
}

export type BodyRead =
  /**
   * `payload` holds the accepted events. `raw` is the body as received when it is exactly
   * `payload` (every event accepted), undefined when events were taken out of it.
   */
  | { ok: true; payload: TrackPayload; raw: string | undefined; rejected: readonly RejectedEvent[] }
  | { ok: false; reply: HttpReply };

const BYTE_ORDER_MARK = 0xfeff;

/**
 * Levels a /track body may nest before it is refused whole. Each part of it may nest
 * MAX_JSON_DEPTH levels, counted from the body: an event deeper than that is refused alone (as a
 * Segment batch's message is), so one deep event does not cost its batch the others.
 */
export const MAX_TRACK_BODY_DEPTH = 4 * MAX_JSON_DEPTH;

/**
 * Turns a /track body into a checked payload, or into the 4xx answer that names what is
 * wrong: media type, encoding, nesting depth, JSON syntax, the schema (with the field's path),
 * or a limit. A problem of one event refuses only that event (listed in `rejected`); a request
 * whose every event is refused is answered 400 with the first problem. `body` is the body as
 * decodeTrackBody decoded it (called alone, it reads the body as sent, whatever its
 * Content-Encoding). Every step is linear in the body and none recurses, so no body can
 * answer 500.
 */
export function readTrackBody(request: HttpRequest, limits: TrackLimits, body: Buffer = request.body): BodyRead {
  const refused = refusedMediaType(request);
  if (refused) return refused;
  // Decoding would silently turn bad bytes into U+FFFD: refuse them instead.
  if (!isUtf8(body)) return fail(400, 'malformed_json', 'the body is not valid UTF-8');
  let raw = body.toString('utf8');
  // JSON parsers may ignore a byte order mark (RFC 8259); the queue gets the body without it.
  if (raw.charCodeAt(0) === BYTE_ORDER_MARK) raw = raw.slice(1);
  // Before parsing, so that nothing later (parse, re-serialising, storage) meets a deep body.
  const depth = jsonNestingDepth(raw, MAX_TRACK_BODY_DEPTH);
  if (depth > MAX_TRACK_BODY_DEPTH) {
    return fail(400, 'too_deep', `the body nests objects and arrays more than ${MAX_TRACK_BODY_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted in each event`);
  }
  // Only a body deeper than any part may be has its parts' depth checked, each on its own.
  const deep = depth > MAX_JSON_DEPTH;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return fail(400, 'malformed_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  // Counted before the schema checks every event, so a huge batch costs no more than this.
  const count = eventCount(parsed);
  if (count > limits.maxEvents) {
    return fail(400, 'too_many_events', `the payload has ${count} events; at most ${limits.maxEvents} are accepted per request`, 'events');
  }
  // No event can be larger than the whole body: measure each one only when the body is.
  const check = checkTrackRequest(parsed, { ...(body.length > limits.maxEventBytes && { maxEventBytes: limits.maxEventBytes }), ...(deep && { maxDepth: MAX_JSON_DEPTH }) });
  if (!check.ok) {
    const { code, message, path } = check.problem;
    if (check.rejected.length === 0) return fail(400, code, message, path);
    // Every event was refused on its own: name each one, as a partial success would.
    const body: ErrorBody = { error: { code, message, path }, rejected: [...check.rejected] };
    return { ok: false, reply: json(400, body) };
  }
  // What the content checks do not walk (the source, profile, session and options objects) is held to the limit here.
  if (deep && valueNestingDepth(check.payload, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return fail(400, 'too_deep', `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep outside its events; at most ${MAX_JSON_DEPTH} are accepted`);
  }
  // A deep body is queued as checked, never as sent: whatever it held deeper is not passed on.
  return { ok: true, payload: check.payload, raw: check.rejected.length > 0 || deep ? undefined : raw, rejected: check.rejected };
}

/** The 415 of a content type other than JSON or text (none is read as JSON). */
function refusedMediaType(request: HttpRequest): { ok: false; reply: HttpReply } | undefined {
  const refused = refusedContentType(request);
  return refused === undefined ? undefined : fail(415, 'unsupported_media_type', refused);
}

function eventCount(parsed: unknown): number {
  const events = typeof parsed === 'object' && parsed !== null ? (parsed as { events?: unknown }).events : undefined;
  return Array.isArray(events) ? events.length : 0;
}

function fail(status: number, code: Parameters<typeof errorReply>[1], message: string, path?: string): { ok: false; reply: HttpReply } {
  return { ok: false, reply: errorReply(status, code, message, path === undefined ? undefined : { path }) };
}
