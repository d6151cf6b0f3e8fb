import type { RequestMeta } from '@inflow/core';
import type { HttpRequest } from './http-types.js';

/**
 * Who sent a request, as the collector keeps it: the client's address (the first hop a proxy
 * named, else the peer), browser, origin and referrer. `client` overrides what the sender says
 * of the end user (Segment's `context.ip` and `context.userAgent`).
 */
export function requestMeta(request: HttpRequest, client: { ip?: string | undefined; userAgent?: string | undefined } = {}): RequestMeta {
  const forwarded = addressOf(request.headers['x-forwarded-for']?.split(',', 1)[0]);
  // remoteAddress may cost a call into the server: read it only when nobody named the client.
  const meta: RequestMeta = { ip: addressOf(client.ip) ?? forwarded ?? request.remoteAddress };
  const userAgent = client.userAgent ?? request.headers['user-agent'];
  if (userAgent) meta.userAgent = userAgent;
  const { origin, referer } = request.headers;
  if (origin) meta.origin = origin;
  if (referer) meta.referer = referer;
  return meta;
}

/**
 * A client address as a sender names it (X-Forwarded-For's first hop, Segment's context.ip),
 * when it can be one: at most 64 characters (an IPv6 address with a zone is under 64). A longer
 * one is not an address, and stored it would be 40 KB in every session of the profile.
 */
function addressOf(named: string | undefined): string | undefined {
  const address = named?.trim();
  return address && address.length <= 64 ? address : undefined;
}
