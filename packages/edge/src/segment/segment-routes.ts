import type { HttpReply, HttpRequest } from '../http/http-types.js';
import type { Router } from '../http/router.js';
import { preflightReply } from '../public-api/cors.js';
import { createSegmentHandler, type SegmentDeps, type SegmentEndpoint } from './segment-handler.js';
import { segmentError } from './segment-replies.js';
import { isUnreachable } from '../sources/source-registry.js';

/**
 * Segment's paths: the HTTP Tracking API's names, and the one-letter paths analytics.js (the
 * browser client, analytics-next) posts to: `${apiHost}/t`, `/p`, `/b`… with apiHost `…/v1`.
 * `/v1/import` is Segment's older name of the batch endpoint.
 */
const PATHS: Record<string, SegmentEndpoint> = {
  '/v1/batch': 'batch',
  '/v1/import': 'batch',
  '/v1/b': 'batch',
  '/v1/track': 'track',
  '/v1/t': 'track',
  '/v1/identify': 'identify',
  '/v1/i': 'identify',
  '/v1/page': 'page',
  '/v1/p': 'page',
  '/v1/screen': 'screen',
  '/v1/s': 'screen',
  '/v1/group': 'group',
  '/v1/g': 'group',
  '/v1/alias': 'alias',
  '/v1/a': 'alias',
};

/** The paths the Segment endpoints answer on. */
export const SEGMENT_PATHS: ReadonlySet<string> = new Set(Object.keys(PATHS));

type Handler = (request: HttpRequest) => Promise<HttpReply>;

/** Adds the Segment-compatible endpoints and their CORS preflight to the public router. */
export function addSegmentRoutes(router: Router, deps: SegmentDeps, wrap: (handler: Handler) => Handler = (handler) => handler): Router {
  const handlers = new Map<SegmentEndpoint, Handler>();
  const preflight = (request: HttpRequest): Promise<HttpReply> => segmentPreflight(deps, request);
  for (const [path, endpoint] of Object.entries(PATHS)) {
    const handler = handlers.get(endpoint) ?? wrap(createSegmentHandler(deps, endpoint));
    handlers.set(endpoint, handler);
    router.on('POST', path, handler).on('OPTIONS', path, preflight);
  }
  return router;
}

/**
 * Browsers preflight analytics.js's requests: they carry `Authorization` (the write key). Any
 * origin an enabled source allows may send; which source it may send to is checked on the POST.
 */
async function segmentPreflight(deps: SegmentDeps, request: HttpRequest): Promise<HttpReply> {
  const origin = request.headers['origin'];
  if (!origin) return segmentError(400, 'invalid_message', 'a CORS preflight needs an Origin header');
  const allowed = await deps.sources.originAllowedAnywhere(origin);
  if (isUnreachable(allowed)) {
    return segmentError(503, 'service_unavailable', `the sources cannot be read now (${allowed.unreachable}); retry later`, { headers: { 'retry-after': '1' } });
  }
  if (!allowed) return segmentError(403, 'origin_not_allowed', `origin ${origin} is not allowed by any enabled source`);
  return preflightReply(origin, request.headers['access-control-request-headers']);
}
