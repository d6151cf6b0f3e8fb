import { randomUUID } from 'node:crypto';
import type { NormalizedPayload, TrackAccepted } from '@inflow/protocol';
import {
  encodeEnvelope,
  errorMessage,
  isInfrastructureError,
  isQueueUnavailable,
  normalizePayload,
  type Collector,
  type Envelope,
  type Logger,
  type RequestBatcher,
  type RequestMeta,
} from '@inflow/workers';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { errorReply, json } from '../http/replies.js';
import { originAllowed, type SourceRegistry } from '../sources/source-registry.js';
import { readTrackBody, type TrackLimits } from './read-track-body.js';

export interface TrackHandlerDeps {
  sources: SourceRegistry;
  limits: TrackLimits;
  queueTimeoutMs: number;
  /** Raw requests for the collector worker (options.queue = true), many to a queue message. */
  collectorQueue: RequestBatcher;
  /** Requests processed in place: profiles, sessions and events stored before the answer. */
  collector: Collector;
  logger: Logger;
}

/**
 * POST /track: check the body and the source, give everything an id, then either queue the
 * request (201 once the broker confirmed the batch holding it) or process it in place with
 * the collector the worker runs (200 once stored).
 */
export function createTrackHandler(deps: TrackHandlerDeps): (request: HttpRequest) => Promise<HttpReply> {
  return async (request) => {
    const origin = request.headers['origin'];
    const read = readTrackBody(request, deps.limits);
    if (!read.ok) return withCors(read.reply, origin);
    const { payload } = read;

    // A cached source answers without a promise: the common case costs no extra turn.
    const sourceId = payload.source.id;
    const source = deps.sources.peek(sourceId) ?? (await deps.sources.resolve(sourceId));
    if (!source) return withCors(errorReply(403, 'unknown_source', `source "${sourceId}" does not exist`, { path: 'source.id' }), origin);
    if (!source.enabled) return withCors(errorReply(403, 'source_disabled', `source "${source.id}" is disabled`, { path: 'source.id' }), origin);
    if (origin && !originAllowed(source, origin)) {
      return errorReply(403, 'origin_not_allowed', `origin ${origin} may not send to source "${source.id}"`);
    }

    const normalized = normalizePayload(payload);
    const envelope: Envelope = {
      v: 1,
      id: randomUUID(),
      receivedAt: Date.now(),
      meta: requestMeta(request),
      payload: normalized.payload,
    };

    try {
      if (payload.options?.queue) {
        const data = encodeEnvelope(envelope, normalized.changed ? undefined : read.raw);
        // No race with a timer here: a request refused with 503 must never be published later.
        // The batcher drops it from its lane at the deadline; once sent, the broker's answer decides.
        await deps.collectorQueue.append(envelope.payload.profile.id, data, envelope.receivedAt + deps.queueTimeoutMs, envelope.payload.events.length);
        return withCors(json(201, queuedAnswer(envelope.payload)), origin);
      }
      // Answered with what the store did (its own timeouts bound the wait): a 503 means not stored.
      const outcome = await deps.collector.process(envelope);
      if (outcome.kind === 'rejected') return withCors(errorReply(400, 'invalid_payload', outcome.reason), origin);
      return withCors(json(200, outcome.accepted), origin);
    } catch (error) {
      if (isQueueUnavailable(error) || isInfrastructureError(error)) {
        const retryAfter = isQueueUnavailable(error) ? error.retryAfterSeconds : 1;
        deps.logger.warn(`track refused, ${payload.options?.queue ? 'queue' : 'storage'} unavailable: ${errorMessage(error)}`);
        return withCors(
          errorReply(503, 'queue_unavailable', `the request cannot be taken now (${errorMessage(error)}); retry later`, {
            headers: { 'retry-after': String(retryAfter) },
          }),
          origin,
        );
      }
      throw error;
    }
  };
}

function queuedAnswer(payload: NormalizedPayload): TrackAccepted {
  return { queued: true, profile: payload.profile, session: payload.session, events: payload.events.map((event) => event.id) };
}

/** A browser's request (it sent Origin) gets the CORS headers it needs to read the answer. */
function withCors(reply: HttpReply, origin: string | undefined): HttpReply {
  if (!origin) return reply;
  return { ...reply, headers: { ...reply.headers, 'access-control-allow-origin': origin, vary: 'origin' } };
}

function requestMeta(request: HttpRequest): RequestMeta {
  const forwarded = request.headers['x-forwarded-for']?.split(',', 1)[0]?.trim();
  // remoteAddress may cost a call into the server: read it only when no proxy named the client.
  const meta: RequestMeta = { ip: forwarded || request.remoteAddress };
  const { 'user-agent': userAgent, origin, referer } = request.headers;
  if (userAgent) meta.userAgent = userAgent;
  if (origin) meta.origin = origin;
  if (referer) meta.referer = referer;
  return meta;
}
