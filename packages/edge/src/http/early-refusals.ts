import { payloadTooLarge, unsupportedTransferEncoding } from './replies.js';
import type { HttpReply } from './http-types.js';

/**
 * What either server refuses from the request's head alone, before reading a byte of its body:
 * a Transfer-Encoding other than chunked (the body cannot be framed) and a declared length over
 * the limit. Both answers close the connection: the body behind them is never read.
 */
export function refusalBeforeBody(headers: Record<string, string>, maxBodyBytes: number): HttpReply | undefined {
  const transferEncoding = headers['transfer-encoding'];
  // Framed as chunked by uWS whatever else it says ("gzip, chunked", "xchunked"): only chunked itself is.
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') return unsupportedTransferEncoding(transferEncoding);
  if (Number(headers['content-length'] ?? '0') > maxBodyBytes) return payloadTooLarge(maxBodyBytes);
  return undefined;
}
