import type { HttpReply } from '../http/http-types.js';

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
