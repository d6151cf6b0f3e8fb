import { payloadTooLarge, unsupportedTransferEncoding } from './replies.js';
import type { HttpReply } from './http-types.js';

/**
 * What either server refuses from the request's head alone, before reading a byte of its body:
 * a Transfer-Encoding other than chunked (the body cannot be framed) and a declared length over
 * the limit. Both answers close the connection; the body behind a 413 is read and dropped first
 * when the client is sending it (readsBeforeRefusing).
 */
export function refusalBeforeBody(headers: Record<string, string>, maxBodyBytes: number): HttpReply | undefined {
  const transferEncoding = headers['transfer-encoding'];
  // Framed as chunked by uWS whatever else it says ("gzip, chunked", "xchunked"): only chunked itself is.
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') return unsupportedTransferEncoding(transferEncoding);
  if (Number(headers['content-length'] ?? '0') > maxBodyBytes) return payloadTooLarge(maxBodyBytes);
  return undefined;
}

/**
 * The most bytes of a body over the limit read (and dropped) before its 413. A server that
 * answers before the body is read closes the connection with the rest unread, and a client
 * still sending it (Python's urllib, wget, a chunked upload) then meets a reset or a broken pipe
 * instead of the 413: on uWS 5 to 8 in 10 uploads of 1.1 MB, on Node's server most of 15 MB.
 * Read to its end, the body costs its bytes, under the body's deadline; past this many the
 * connection is closed at once.
 */
export const DRAINED_BYTES = 16 * 1024 * 1024;

/**
 * Whether a body declared over the limit is read to its end before its 413: when it is not too
 * large to read and the client is sending it (`sending`: it did not ask with `Expect` whether
 * to, or was told to go on). A client waiting for permission gets the 413 at once instead.
 */
export function readsBeforeRefusing(declaredLength: number, sending: boolean): boolean {
  return sending && declaredLength <= DRAINED_BYTES;
}
