import { readFileSync } from 'node:fs';
import type { EdgeMeter, Logger } from '@inflow/core';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { errorReply, internalError, json } from '../http/replies.js';
import { Router } from '../http/router.js';
import { addSegmentRoutes } from '../segment/segment-routes.js';
import { isUnreachable, type SourceRegistry } from '../sources/source-registry.js';
import { createTrackHandler, type TrackHandlerDeps } from '../track/track-handler.js';
import { preflightReply, refusalCors } from './cors.js';
import { IntakeDigest } from './intake-digest.js';

export interface PublicRoutesDeps extends TrackHandlerDeps {
  sources: SourceRegistry;
  /** false while starting, after SIGTERM and while the queue is unreachable: /readyz answers 503. */
  isReady(): boolean;
  /** false once shutdown closed the listener: /track answers 503 on connections still open. */
  isAccepting(): boolean;
  /** Files of the demo site: URL pattern (Router syntax) to file on disk. */
  staticFiles?: Record<string, string>;
  logger: Logger;
  /** Where the ingestion answers are summed and logged once per period (one is made when not given). */
  intake?: IntakeDigest;
}

/** The public port: /track, health and readiness, and the demo page. Nothing private. */
export function publicRoutes(deps: PublicRoutesDeps): (request: HttpRequest) => Promise<HttpReply> {
  const track = createTrackHandler(deps);
  const intake = deps.intake ?? new IntakeDigest(deps.logger);
  const router = new Router()
    .on('POST', '/track', counted(deps.meter, intake, (request) =>
      deps.isAccepting()
        ? track(request)
        : refusalCors(deps.sources, errorReply(503, 'shutting_down', 'this edge is shutting down; retry', { headers: { 'retry-after': '1' } }), request.headers['origin']),
    ))
    .on('OPTIONS', '/track', (request) => preflight(deps.sources, request))
    .on('GET', '/healthz', () => json(200, { status: 'ok' }))
    .on('GET', '/readyz', () =>
      deps.isReady() ? json(200, { status: 'ready' }) : json(503, { status: 'not ready' }, { 'retry-after': '1' }),
    );
  // Segment-compatible ingestion: /v1/batch, /v1/track… (packages/edge/src/segment).
  addSegmentRoutes(router, deps, (handler) => counted(deps.meter, intake, handler));
  for (const [pattern, file] of Object.entries(deps.staticFiles ?? {})) {
    const body = readFileSync(file);
    const reply: HttpReply = { status: 200, headers: { 'content-type': contentType(file), 'cache-control': 'no-cache' }, body };
    router.on('GET', pattern, () => reply);
  }
  return router.handle;
}

/** An ingestion handler whose answers count as accepted, refused or unavailable (in the metrics and the log's digest). */
function counted(meter: EdgeMeter | undefined, intake: IntakeDigest, handler: (request: HttpRequest) => Promise<HttpReply>): (request: HttpRequest) => Promise<HttpReply> {
  // One .then, not an async wrapper: this runs on every ingestion request.
  return (request) =>
    handler(request).then(
      (reply) => {
        meter?.answered(reply.status);
        intake.note(request.route, reply);
        return reply;
      },
      (error: unknown) => {
        // The server answers 500 (and logs the error); counted here like every other answer.
        meter?.answered(500);
        intake.note(request.route, internalError());
        throw error;
      },
    );
}

async function preflight(sources: SourceRegistry, request: HttpRequest): Promise<HttpReply> {
  const origin = request.headers['origin'];
  if (!origin) return errorReply(400, 'invalid_payload', 'a CORS preflight needs an Origin header');
  const allowed = await sources.originAllowedAnywhere(origin);
  if (isUnreachable(allowed)) return errorReply(503, 'service_unavailable', `the sources cannot be read now (${allowed.unreachable}); retry later`, { headers: { 'retry-after': '1' } });
  if (!allowed) return errorReply(403, 'origin_not_allowed', `origin ${origin} is not allowed by any enabled source`);
  return preflightReply(origin, request.headers['access-control-request-headers']);
}

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css' };

function contentType(file: string): string {
  return TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}
