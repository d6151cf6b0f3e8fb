import type { RequestMeta } from '@inflow/core';
import type { HttpRequest } from './http-types.js';

/**
 * Who sent a request, as the collector keeps it: the client's address (the first hop a proxy
 * named, else the peer), browser, origin and referrer. `client` overrides what the sender says
 * of the end user (Segment's `context.ip` and `context.userAgent`).
 */
export function requestMeta(request: HttpRequest, client: { ip?: string | undefined; userAgent?: string | undefined } = {}): RequestMeta {
  const forwarded = request.headers['x-forwarded-for']?.split(',', 1)[0]?.trim();
  // remoteAddress may cost a call into the server: read it only when nobody named the client.
  const meta: RequestMeta = { ip: client.ip ?? (forwarded || request.remoteAddress) };
  const userAgent = client.userAgent ?? request.headers['user-agent'];
  if (userAgent) meta.userAgent = userAgent;
  const { origin, referer } = request.headers;
  if (origin) meta.origin = origin;
  if (referer) meta.referer = referer;
  return meta;
}
