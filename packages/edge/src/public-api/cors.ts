import type { HttpReply } from '../http/http-types.js';
import type { SourceRecord } from '@inflow/core';
import { originAllowed, type SourceRegistry } from '../sources/source-registry.js';

/**
 * CORS for /track. Browsers send credentialed requests to it (a sendBeacon with a JSON body,
 * fetch with credentials: 'include'), for which `*` is not enough: the allowed origin is echoed,
 * credentials are allowed, and `Vary: Origin` keeps caches from serving one origin's answer to
 * another. Errors carry the same headers so that a page can read why it was refused.
 */
export function withCors(reply: HttpReply, origin: string | undefined): HttpReply {
  if (!origin) return reply;
  return { ...reply, headers: { ...reply.headers, ...answerHeaders(origin) } };
}

/**
 * CORS for an answer given before the request's source could say which origins it allows (a
 * body that cannot be read, a source or write key that names nothing, a source that cannot be
 * checked, an edge shutting down): echoed only to an origin some enabled source allows, so that
 * a page of any other origin cannot read the answer (and learn which source ids exist), while a
 * page of an allowed origin still reads why it was refused (and does not retry a 400).
 */
export async function refusalCors(sources: Pick<SourceRegistry, 'originAllowedSomewhere'>, reply: HttpReply, origin: string | undefined): Promise<HttpReply> {
  return origin && (await sources.originAllowedSomewhere(origin)) ? withCors(reply, origin) : reply;
}

/** CORS for an answer about a known source (disabled, say): only to an origin that source allows. */
export function sourceCors(source: SourceRecord, reply: HttpReply, origin: string | undefined): HttpReply {
  return origin && originAllowed(source, origin) ? withCors(reply, origin) : reply;
}

/** The answer to a preflight from an allowed origin: what it asked for, for a day. */
export function preflightReply(origin: string, requestedHeaders: string | undefined): HttpReply {
  return {
    status: 204,
    headers: {
      ...answerHeaders(origin),
      'access-control-allow-methods': 'POST, OPTIONS',
      // Echoed, not `*`: a wildcard does not cover credentialed requests.
      'access-control-allow-headers': requestedHeaders?.trim() || 'content-type',
      'access-control-max-age': PREFLIGHT_MAX_AGE,
    },
    body: '',
  };
}

const PREFLIGHT_MAX_AGE = '86400';

function answerHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    // A tracker honours Retry-After on 429/503, and a page may quote X-Request-Id: readable cross-origin only when exposed.
    'access-control-expose-headers': 'retry-after, x-request-id',
    vary: 'origin',
  };
}

/**
 * CORS for the replies the HTTP layer makes before /track runs (413, 408): echoed only for an
 * origin the sources allowed when last listed, since these answers cannot wait for the store.
 */
export function earlyReplyCors(allowed: (origin: string) => boolean): (origin: string | undefined, reply: HttpReply) => HttpReply {
  return (origin, reply) => (origin && allowed(origin) ? withCors(reply, origin) : reply);
}
