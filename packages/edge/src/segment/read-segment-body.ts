import { isUtf8 } from 'node:buffer';
import { jsonNestingDepth } from '@inflow/protocol';
import { contentEncodingOf, decodeBody } from '../http/body-headers.js';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { segmentError } from './segment-replies.js';

/** `depth`: how deeply the body nests objects and arrays (found before it was parsed). */
export type SegmentBodyRead = { ok: true; body: Record<string, unknown>; bytes: number; depth: number } | { ok: false; reply: HttpReply };

const BYTE_ORDER_MARK = 0xfeff;

/**
 * Turns a Segment request body into a JSON object, or the 4xx answer naming what is wrong:
 * content encoding, size (after decompression), UTF-8, nesting depth, JSON syntax. The media
 * type is not looked at: the body is read as JSON whatever it says, as Segment's and
 * RudderStack's servers do (RudderStack's Node client sends its gzipped JSON as
 * application/x-www-form-urlencoded). A gzip body is inflated off the request thread and never
 * past `maxBytes` (http/body-headers.ts). A body nesting past `maxDepth` levels is refused
 * whole; a batch's may nest deeper than one message may, so that a message too deep is refused
 * alone (the handler checks each).
 */
export async function readSegmentBody(request: HttpRequest, maxBytes: number, tooLarge: 'message_too_large' | 'batch_too_large', maxDepth: number): Promise<SegmentBodyRead> {
  // Segment's clients send gzip or nothing.
  const decoded = await decodeBody(request.body, contentEncodingOf(request), ['gzip'], maxBytes);
  if (!decoded.ok) {
    if (decoded.problem === 'unsupported') return fail(415, 'unsupported_encoding', decoded.message);
    if (decoded.problem === 'too_large') {
      // One call past Segment's 32 KB is refused alike, sent plain or gzipped; a batch past the
      // body limit gets the 413 the HTTP layer gives a plain one.
      if (tooLarge === 'message_too_large') return fail(400, tooLarge, `the message is over ${maxBytes} bytes once decompressed; at most ${maxBytes} bytes are accepted`);
      return fail(413, 'payload_too_large', decoded.message);
    }
    return fail(400, 'malformed_gzip', decoded.message);
  }
  const bytes = decoded.body;
  if (bytes.length > maxBytes) {
    const what = tooLarge === 'batch_too_large' ? 'batch' : 'message';
    return fail(400, tooLarge, `the ${what} is ${bytes.length} bytes; at most ${maxBytes} bytes are accepted`);
  }
  if (!isUtf8(bytes)) return fail(400, 'malformed_json', 'the body is not valid UTF-8');
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
  const depth = jsonNestingDepth(text, maxDepth);
  if (depth > maxDepth) {
    return fail(400, 'too_deep', `the body nests objects and arrays more than ${maxDepth} levels deep; at most ${maxDepth} are accepted`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(400, 'malformed_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(400, 'malformed_json', 'the body must be a JSON object');
  }
  return { ok: true, body: parsed as Record<string, unknown>, bytes: bytes.length, depth };
}

function fail(status: number, code: Parameters<typeof segmentError>[1], message: string): SegmentBodyRead {
  return { ok: false, reply: segmentError(status, code, message) };
}
