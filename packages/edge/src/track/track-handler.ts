import { randomUUID } from 'node:crypto';
import type { RejectedEvent, TrackAnswer } from '@inflow/protocol';
import { CLIENT_GONE_STATUS, ClientGoneError, type EdgeMeter, encodeEnvelope, type Envelope, errorMessage, isInfrastructureError, isQueueUnavailable, type Logger, normalizePayload, type RequestBatcher, type RequestCollector, type TraceEntry, type TraceSink } from '@inflow/core';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { errorReply, json, withRefusedEvents } from '../http/replies.js';
import { requestMeta } from '../http/request-meta.js';
import { refusalCors, sourceCors, withCors } from '../public-api/cors.js';
import { outageWarnings } from '../public-api/outage-warnings.js';
import { isUnreachable, originAllowed, type SourceRegistry } from '../sources/source-registry.js';
import { decodeTrackBody, readTrackBody, type TrackLimits } from './read-track-body.js';

export interface TrackHandlerDeps {
  sources: SourceRegistry;
  limits: TrackLimits;
  queueTimeoutMs: number;
  /** Raw requests for the collector worker (options.queue = true), many to a queue message. */
  collectorQueue: RequestBatcher;
  /** Requests processed in place: profiles, sessions and events stored before the answer. */
  collector: RequestCollector;
  logger: Logger;
  /** Events accepted and refused (requests are counted by the public routes). */
  meter?: EdgeMeter | undefined;
  /** Where accepted requests are recorded ('edge', and 'queued' once the queue has them). */
  trace?: TraceSink | undefined;
  /** The collector topic's name, as trace entries give it. */
  queueTopic?: string | undefined;
}

/**
 * POST /track: check the body and the source, give everything an id, then either queue the
 * request (201 once the broker confirmed the batch holding it) or process it in place with
 * the collector the worker runs (200 once stored).
 */
export function createTrackHandler(deps: TrackHandlerDeps): (request: HttpRequest) => Promise<HttpReply> {
  const warn = outageWarnings(deps.logger);
  return async (request) => {
    const origin = request.headers['origin'];
    // A body without Content-Encoding (nearly all) is read without waiting for a promise.
    let decoded = decodeTrackBody(request, deps.limits);
    if (decoded instanceof Promise) decoded = await decoded;
    if (!decoded.ok) return refusalCors(deps.sources, decoded.reply, origin);
    const read = readTrackBody(request, deps.limits, decoded.body);
    if (!read.ok) return refusalCors(deps.sources, read.reply, origin);
    const { payload, rejected } = read;

    // A cached source answers without a promise: the common case costs no extra turn.
    const sourceId = payload.source.id;
    const source = deps.sources.peek(sourceId) ?? (await deps.sources.check(sourceId));
    if (isUnreachable(source)) {
      warn.sources(`track refused, sources cannot be read: ${source.unreachable}`);
      return refusalCors(deps.sources, errorReply(503, 'service_unavailable', `the source cannot be checked now (${source.unreachable}); retry later`, { headers: { 'retry-after': '1' } }), origin);
    }
    if (!source) return refusalCors(deps.sources, errorReply(403, 'unknown_source', `source "${sourceId}" does not exist`, { path: 'source.id' }), origin);
    if (!source.enabled) return sourceCors(source, errorReply(403, 'source_disabled', `source "${source.id}" is disabled`, { path: 'source.id' }), origin);
    if (origin && !originAllowed(source, origin)) {
      // No CORS headers: the browser keeps this answer from a page of an origin the source does not allow.
      return errorReply(403, 'origin_not_allowed', `origin ${origin} may not send to source "${source.id}"`);
    }

    const receivedAt = Date.now();
    // One clock reading: an event without a time of its own is stored at receivedAt, and its session's window goes by it too.
    const normalized = normalizePayload(payload, randomUUID, () => receivedAt);
    const envelope: Envelope = {
      v: 1,
      // The answer's X-Request-Id, when the server gives one.
      id: request.requestId ?? randomUUID(),
      receivedAt,
      meta: requestMeta(request),
      payload: normalized.payload,
    };
    if (normalized.profileFromSession) envelope.profileFromSession = true;

    try {
      if (payload.options?.queue) {
        // The raw body is queued as it came when nothing was added to it or taken out of it.
        const data = encodeEnvelope(envelope, normalized.changed ? undefined : read.raw);
        // A request whose profile the session decides goes in its session's lane, so that a
        // session's requests stay in order until the collector knows the profile.
        const lane = normalized.profileFromSession ? envelope.payload.session.id : envelope.payload.profile.id;
        // No race with a timer here: a request refused with 503 must never be published later.
        // The batcher drops it from its lane at the deadline; once sent, the broker's answer decides.
        await deps.collectorQueue.append(lane, data, envelope.receivedAt + deps.queueTimeoutMs, envelope.payload.events.length, request);
        deps.meter?.events(envelope.payload.events.length, rejected.length);
        // One array of the event ids for the answer and the trace entry.
        const answer = queuedAnswer(envelope);
        if (deps.trace) recordQueued(deps.trace, envelope, source.id, deps.queueTopic, deps.collectorQueue.laneOf(lane), answer.events);
        return withCors(acceptedReply(201, answer, rejected), origin);
      }
      // Answered with what the store did (its own timeouts bound the wait): a 503 means not stored.
      const outcome = await deps.collector.process(envelope);
      if (outcome.kind === 'rejected') return withCors(errorReply(400, 'invalid_payload', outcome.reason), origin);
      deps.meter?.events(outcome.accepted.events.length, rejected.length);
      deps.trace?.record(edgeEntry(envelope, 'edge', { queued: false, source: source.id }, outcome.accepted.profile?.id));
      return withCors(acceptedReply(200, outcome.accepted, rejected), origin);
    } catch (error) {
      // Dropped because its client went away: no outage; counted as 499 (never sent).
      if (error instanceof ClientGoneError) return errorReply(CLIENT_GONE_STATUS, 'queue_unavailable', `${error.message}; nothing was stored`);
      if (isQueueUnavailable(error) || isInfrastructureError(error)) {
        const retryAfter = isQueueUnavailable(error) ? error.retryAfterSeconds : 1;
        warn.queue(`track refused, ${payload.options?.queue ? 'queue' : 'storage'} unavailable: ${errorMessage(error)}`);
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

/**
 * The edge's trace entry of an accepted request: received at (at), its profile and events;
 * `stage` and `detail` say what became of it.
 */
function edgeEntry(
  envelope: Envelope,
  stage: 'edge' | 'queued',
  detail: TraceEntry['detail'],
  profileId = envelope.payload.profile.id,
  eventIds: readonly string[] = envelope.payload.events.map((event) => event.id),
): TraceEntry {
  return { at: envelope.receivedAt, stage, role: 'edge', requestId: envelope.id, profileId, eventIds, detail };
}

/**
 * A queued request's one entry, once the queue confirmed it: received at (at), the source, and
 * where it waits (topic, lane) with how long the confirmation took. One entry rather than one
 * per step keeps the trace's cost per request at one write. Its detail is one of a few frozen
 * objects shared by every request with the same source, topic, lane and milliseconds to confirmation
 * (the requests of one queue batch mostly): no object per request, and a store writes each
 * shared detail once per batch.
 */
export function recordQueued(trace: TraceSink, envelope: Envelope, sourceId: string, topic: string | undefined, lane: number, eventIds?: readonly string[]): void {
  trace.record(edgeEntry(envelope, 'queued', queuedDetail(sourceId, topic ?? 'collector', lane, Date.now() - envelope.receivedAt), envelope.payload.profile.id, eventIds));
}

type QueuedDetail = Readonly<Record<string, unknown>>;
/** Shared details of queued entries: by source, then topic, then lane, then milliseconds to confirmation. */
const queuedDetails = new Map<string, Map<string, QueuedDetail[][]>>();
/** Milliseconds to confirmation up to which details are shared (a slower confirmation gets its own). */
const SHARED_UP_TO_MS = 1_000;
/** Lanes whose details are shared (the batcher has 8 by default). */
const SHARED_LANES = 64;
/** Shared details kept at most; past it the table starts again. */
const SHARED_DETAILS = 16_384;
let sharedDetails = 0;

function queuedDetail(source: string, topic: string, lane: number, confirmedInMs: number): QueuedDetail {
  if (!(confirmedInMs >= 0 && confirmedInMs <= SHARED_UP_TO_MS && lane >= 0 && lane < SHARED_LANES)) return Object.freeze({ source, topic, lane, confirmedInMs });
  if (sharedDetails >= SHARED_DETAILS) {
    queuedDetails.clear();
    sharedDetails = 0;
  }
  let byTopic = queuedDetails.get(source);
  if (!byTopic) queuedDetails.set(source, (byTopic = new Map()));
  let byLane = byTopic.get(topic);
  if (!byLane) byTopic.set(topic, (byLane = []));
  const byMs = (byLane[lane] ??= []);
  let detail = byMs[confirmedInMs];
  if (!detail) {
    detail = byMs[confirmedInMs] = Object.freeze({ source, topic, lane, confirmedInMs });
    sharedDetails += 1;
  }
  return detail;
}

/**
 * The ids alone: what else the client put in its profile and session objects is not echoed back.
 * A queued request's profile is not known yet when its session decides it (PendingProfileAnswer).
 */
function queuedAnswer({ payload, profileFromSession }: Envelope): TrackAnswer {
  const events = payload.events.map((event) => event.id);
  const session = { id: payload.session.id };
  return profileFromSession ? { queued: true, profile: null, session, events } : { queued: true, profile: { id: payload.profile.id }, session, events };
}

/** An accepted answer listing the events refused alone, which the intake log also counts. */
function acceptedReply(status: 200 | 201, accepted: TrackAnswer, rejected: readonly RejectedEvent[]): HttpReply {
  if (rejected.length === 0) return json(status, accepted);
  return withRefusedEvents(json(status, { ...accepted, rejected: [...rejected] }), rejected);
}
