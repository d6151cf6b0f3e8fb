import type { ErrorBody, TrackErrorCode } from '@inflow/protocol';
import type { HttpReply } from './http-types.js';

const JSON_TYPE = { 'content-type': 'application/json' };

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpReply {
  return { status, headers: headers ? { ...JSON_TYPE, ...headers } : JSON_TYPE, body: JSON.stringify(body) };
}

export function errorReply(
  status: number,
  code: TrackErrorCode,
  message: string,
  extra?: { path?: string; headers?: Record<string, string> },
): HttpReply {
  const body: ErrorBody = { error: extra?.path ? { code, message, path: extra.path } : { code, message } };
  return json(status, body, extra?.headers);
}

export const notFound = (path: string): HttpReply => errorReply(404, 'not_found', `no such endpoint: ${path}`);

export const malformedPath = (path: string): HttpReply =>
  errorReply(400, 'malformed_path', `the path ${JSON.stringify(path.slice(0, 200))} has a parameter that is not valid percent-encoded UTF-8`);

export const methodNotAllowed = (method: string, path: string, allowed: string[]): HttpReply =>
  errorReply(405, 'method_not_allowed', `${method} is not allowed on ${path} (use ${allowed.join(', ')})`, {
    headers: { allow: allowed.join(', ') },
  });

export const payloadTooLarge = (limit: number): HttpReply =>
  errorReply(413, 'payload_too_large', `the request body is larger than the limit of ${limit} bytes`);

export const requestTimeout = (ms: number, part: 'body' | 'head' = 'body'): HttpReply =>
  errorReply(408, 'request_timeout', `the request ${part} did not arrive within ${ms} ms`);

/** 501 for a transfer coding other than chunked (RFC 9112 §6.1): such a body cannot be framed. */
export const unsupportedTransferEncoding = (coding: string): HttpReply =>
  errorReply(501, 'unsupported_transfer_encoding', `transfer encoding ${JSON.stringify(coding.slice(0, 64))} is not supported; send the body chunked or with a Content-Length`);

export const internalError = (): HttpReply => errorReply(500, 'internal', 'internal error; the request was not accepted');

/** `reply` noting the events refused alone inside it, for the intake log (HttpReply.refusedEvents). */
export function withRefusedEvents(reply: HttpReply, rejected: ReadonlyArray<{ code: string }>): HttpReply {
  const first = rejected[0];
  return first === undefined ? reply : { ...reply, refusedEvents: { count: rejected.length, code: first.code } };
}
