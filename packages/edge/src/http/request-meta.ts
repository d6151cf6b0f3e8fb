import type { RequestMeta } from '@inflow/core';
import type { HttpRequest } from './http-types.js';

/**
 * Longest User-Agent kept (longer ones are cut): every event of a request and its session carry
 * it, so an uncapped header would multiply past the event and message size limits (a 30 KB
 * header made each of 100 two-byte events 90 KB). Real browsers send under 500 characters;
 * Elasticsearch indexes the field up to 1,024.
 */
export const MAX_USER_AGENT_CHARS = 1_024;
/**
 * Longest Referer or Origin kept (a longer one is dropped: a cut URL would name another page).
 * The referrer stands in for an event's page URL when the tracker gave none, which
 * Elasticsearch indexes up to 2,048 characters.
 */
export const MAX_REFERER_CHARS = 2_048;

/**
 * Who sent a request, as the collector keeps it: the client's address (the first hop a proxy
 * named, else the peer), browser, origin and referrer, each bounded (see the limits above).
 * `client` overrides what the sender says of the end user (Segment's `context.ip` and
 * `context.userAgent`).
 */
export function requestMeta(request: HttpRequest, client: { ip?: string | undefined; userAgent?: string | undefined } = {}): RequestMeta {
  const forwarded = addressOf(request.headers['x-forwarded-for']?.split(',', 1)[0]);
  // remoteAddress may cost a call into the server: read it only when nobody named the client.
  const meta: RequestMeta = { ip: addressOf(client.ip) ?? forwarded ?? request.remoteAddress };
  const userAgent = client.userAgent ?? request.headers['user-agent'];
  if (userAgent) meta.userAgent = userAgent.length > MAX_USER_AGENT_CHARS ? cut(userAgent, MAX_USER_AGENT_CHARS) : userAgent;
  const { origin, referer } = request.headers;
  if (origin && origin.length <= MAX_REFERER_CHARS) meta.origin = origin;
  if (referer && referer.length <= MAX_REFERER_CHARS) meta.referer = referer;
  return meta;
}

/** The first `length` characters, without a lone half of a surrogate pair at the end. */
function cut(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
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
