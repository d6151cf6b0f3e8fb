// What the ingestion endpoints read from a body's headers: its media type and its content coding.
import { brotliDecompress, gunzip, inflate, inflateRaw, type InputType } from 'node:zlib';
import type { HttpRequest } from './http-types.js';

/** Content codings a body may arrive in (RFC 9110 §8.4.1), besides none. */
export type BodyCoding = 'gzip' | 'deflate' | 'br';

/** A body as the handler reads it: decoded, or why it cannot be. */
export type DecodedBody =
  | { ok: true; body: Buffer }
  | { ok: false; problem: 'unsupported'; message: string }
  | { ok: false; problem: 'too_large'; message: string }
  | { ok: false; problem: 'malformed'; message: string };

type Decompress = (input: InputType, options: { maxOutputLength: number }, callback: (error: Error | null, result: Buffer) => void) => void;

const DECODERS: Record<BodyCoding, Decompress> = { gzip: gunzip, deflate: inflate, br: brotliDecompress };
/** Names a client may give a coding by (x-gzip is gzip's old alias). */
const ALIASES: Record<string, BodyCoding> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br' };

/** Media types a JSON body may be sent as (text/plain: what navigator.sendBeacon sends without a preflight). */
const ACCEPTED_TYPES = ['application/json', 'text/plain'];

/**
 * Why the request's Content-Type is refused (its 415 message), or undefined when it is JSON,
 * text, or none (read as JSON). The ingestion endpoints share it, each in its own error shape.
 */
export function refusedContentType(request: HttpRequest): string | undefined {
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type === '' || ACCEPTED_TYPES.includes(type)) return undefined;
  return `content type ${type} is not accepted; send application/json or text/plain`;
}

/** The request's Content-Encoding, lower case, '' for none or identity. */
export function contentEncodingOf(request: HttpRequest): string {
  const coding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
  return coding === 'identity' ? '' : coding;
}

/**
 * The body decoded from its Content-Encoding, when it is one of `accepted`, and never past
 * `maxBytes`: zlib stops as soon as the output would pass the limit, so a decompression bomb
 * costs at most that much memory (too_large) instead of filling it. Decompression runs on
 * libuv's thread pool, off the request thread. A body without an encoding is returned as it is.
 */
export function decodeBody(body: Buffer, coding: string, accepted: readonly BodyCoding[], maxBytes: number): Promise<DecodedBody> | DecodedBody {
  if (coding === '') return { ok: true, body };
  const known = ALIASES[coding];
  if (!known || !accepted.includes(known)) {
    return { ok: false, problem: 'unsupported', message: `content encoding ${coding} is not accepted; send ${[...accepted, 'no encoding'].join(', ')}` };
  }
  const decode = known === 'deflate' && !hasZlibHeader(body) ? inflateRaw : DECODERS[known];
  return new Promise((resolve) => {
    decode(body, { maxOutputLength: maxBytes }, (error, decoded) => {
      if (!error) return resolve({ ok: true, body: decoded });
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        return resolve({ ok: false, problem: 'too_large', message: `the ${coding} body decodes past the limit of ${maxBytes} bytes` });
      }
      resolve({ ok: false, problem: 'malformed', message: `the body is not valid ${coding}: ${error.message}` });
    });
  });
}

/**
 * Whether a deflate body starts with the zlib wrapper RFC 9110 asks for (method 8, a header
 * checksum divisible by 31). Some clients send raw deflate under the same name (as browsers'
 * CompressionStream('deflate-raw') makes it): such a body is inflated raw rather than refused.
 */
function hasZlibHeader(body: Buffer): boolean {
  const [first = 0, second = 0] = body;
  return (first & 0x0f) === 8 && first >> 4 <= 7 && ((first << 8) | second) % 31 === 0;
}
