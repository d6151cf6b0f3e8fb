import { errorReply, type HttpReply, type HttpRequest } from '@inflow/edge';

/** `?limit=` of the listing endpoints: what they return without one, and the most they return. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reply: HttpReply };

/** 400 naming the offending field. */
export function invalid(path: string, message: string): HttpReply {
  return errorReply(400, 'invalid_payload', `${path}: ${message}`, { path });
}

/** The JSON body; an empty body reads as `{}`. */
export function readBody(request: HttpRequest): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(request.body.toString('utf8') || '{}') };
  } catch (error) {
    return { ok: false, reply: errorReply(400, 'malformed_json', `the body is not valid JSON: ${(error as Error).message}`) };
  }
}

/** `?limit=`: DEFAULT_LIMIT when absent or not a positive integer, at most MAX_LIMIT. */
export function limitOf(request: HttpRequest): number {
  const raw = new URLSearchParams(request.query).get('limit');
  const limit = raw === null ? DEFAULT_LIMIT : Number(raw);
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT;
}
