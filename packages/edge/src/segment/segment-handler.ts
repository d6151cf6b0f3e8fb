import { randomUUID } from 'node:crypto';
import { checkPayloadContent, checkTrackPayload, type TrackPayload } from '@inflow/protocol';
import { type EdgeMeter, encodeEnvelope, type Envelope, errorMessage, isInfrastructureError, isQueueUnavailable, type Logger, normalizePayload, type RequestBatcher, type TraceSink } from '@inflow/core';
import { recordQueued } from '../track/track-handler.js';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { requestMeta } from '../http/request-meta.js';
import { withCors } from '../public-api/cors.js';
import { originAllowed, type SourceRegistry } from '../sources/source-registry.js';
import { groupByProfile, type ProfileGroup } from './group-by-profile.js';
import { mapMessage, type BatchFields, type MappedMessage } from './map-message.js';
import { readSegmentBody } from './read-segment-body.js';
import { checkMessage, isObject, type SegmentType } from './segment-message.js';
import { SEGMENT_SUCCESS, segmentError } from './segment-replies.js';
import { writeKeyFromBody, writeKeyFromHeader } from './write-key.js';

/** Segment's limits: 32 KB per message (one call, or each message of a batch), 500 KB per batch. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

export interface SegmentDeps {
  sources: Pick<SourceRegistry, 'peek' | 'resolve' | 'originAllowedAnywhere'>;
  limits: { maxEvents: number; maxEventBytes: number };
  queueTimeoutMs: number;
  /** The /track queue path: requests for the collector worker, many to a queue message. */
  collectorQueue: Pick<RequestBatcher, 'append'> & Partial<Pick<RequestBatcher, 'laneOf'>>;
  /** false once shutdown closed the listener: answer 503 on connections still open. */
  isAccepting(): boolean;
  logger: Logger;
  meter?: EdgeMeter | undefined;
  trace?: TraceSink | undefined;
  queueTopic?: string | undefined;
}

/** `batch` for /v1/batch, else the call the endpoint takes (/v1/track…). */
export type SegmentEndpoint = SegmentType | 'batch';

type Step<T> = { ok: true; value: T } | { ok: false; reply: HttpReply };

/**
 * POST /v1/batch and /v1/{track,identify,page,screen,group,alias}: the write key names the
 * source; each message becomes one event of its profile; the events go to the queue as one
 * request per profile, like /track with `options.queue`, and the answer is Segment's 200
 * {"success": true} once the queue has them all.
 */
export function createSegmentHandler(deps: SegmentDeps, endpoint: SegmentEndpoint): (request: HttpRequest) => Promise<HttpReply> {
  const maxBytes = endpoint === 'batch' ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES;
  const tooLarge = endpoint === 'batch' ? 'batch_too_large' : 'message_too_large';
  return async (request) => {
    const origin = request.headers['origin'];
    if (!deps.isAccepting()) {
      return withCors(segmentError(503, 'shutting_down', 'this edge is shutting down; retry', { headers: { 'retry-after': '1' } }), origin);
    }
    const read = await readSegmentBody(request, maxBytes, tooLarge);
    if (!read.ok) return withCors(read.reply, origin);
    const { body } = read;

    const writeKey = writeKeyFromHeader(request.headers['authorization']) ?? writeKeyFromBody(body);
    if (writeKey === undefined) {
      return withCors(segmentError(401, 'missing_write_key', 'send the write key as the user name of HTTP Basic auth, or as "writeKey" in the body'), origin);
    }
    const source = deps.sources.peek(writeKey) ?? (await deps.sources.resolve(writeKey));
    if (!source) return withCors(segmentError(401, 'invalid_write_key', 'the write key names no source'), origin);
    if (!source.enabled) return withCors(segmentError(403, 'source_disabled', `source "${source.id}" is disabled`), origin);
    if (origin && !originAllowed(source, origin)) {
      return segmentError(403, 'origin_not_allowed', `origin ${origin} may not send to source "${source.id}"`);
    }

    const receivedAt = Date.now();
    // Every queued request made of this one carries its id (its X-Request-Id).
    const requestId = request.requestId ?? randomUUID();
    const mapped = mapMessages(endpoint, body, read.bytes, receivedAt);
    if (!mapped.ok) return withCors(mapped.reply, origin);
    const groups = groupByProfile(source.id, mapped.value, deps.limits.maxEvents);
    const envelopes: Envelope[] = [];
    for (const group of groups) {
      const envelope = toEnvelope(source.id, group, request, requestId, receivedAt, endpoint, read.bytes > deps.limits.maxEventBytes ? deps.limits.maxEventBytes : undefined);
      if (!envelope.ok) return withCors(envelope.reply, origin);
      envelopes.push(envelope.value);
    }

    try {
      // Appended in order, so a profile's requests keep their order in its lane.
      await Promise.all(
        envelopes.map((envelope) =>
          deps.collectorQueue.append(envelope.payload.profile.id, encodeEnvelope(envelope), receivedAt + deps.queueTimeoutMs, envelope.payload.events.length),
        ),
      );
      let events = 0;
      for (const envelope of envelopes) {
        events += envelope.payload.events.length;
        if (deps.trace) recordQueued(deps.trace, envelope, source.id, deps.queueTopic, deps.collectorQueue.laneOf?.(envelope.payload.profile.id) ?? 0);
      }
      deps.meter?.events(events, 0);
      return withCors(SEGMENT_SUCCESS, origin);
    } catch (error) {
      if (!isQueueUnavailable(error) && !isInfrastructureError(error)) throw error;
      const retryAfter = isQueueUnavailable(error) ? error.retryAfterSeconds : 1;
      deps.logger.warn(`segment ${endpoint} refused, queue unavailable: ${errorMessage(error)}`);
      return withCors(
        segmentError(503, 'queue_unavailable', `the messages cannot be taken now (${errorMessage(error)}); retry later`, {
          headers: { 'retry-after': String(retryAfter) },
        }),
        origin,
      );
    }
  };
}

/** The messages of the body, checked and mapped; the first bad one is named. */
function mapMessages(endpoint: SegmentEndpoint, body: Record<string, unknown>, bodyBytes: number, receivedAt: number): Step<MappedMessage[]> {
  if (endpoint !== 'batch') {
    const check = checkMessage(body, endpoint);
    if (!check.ok) return invalid(check.field, check.problem);
    return { ok: true, value: [mapMessage(check.message, {}, receivedAt)] };
  }
  const items = body['batch'];
  if (!Array.isArray(items)) return invalid('batch', 'must be an array of messages');
  const batch: BatchFields = {};
  if (isObject(body['context'])) batch.context = body['context'];
  const sentAt = body['sentAt'];
  if (typeof sentAt === 'string' || typeof sentAt === 'number') batch.sentAt = sentAt;
  const mapped: MappedMessage[] = [];
  for (let i = 0; i < items.length; i++) {
    // No message can be larger than the whole body: measure each one only when the body is.
    if (bodyBytes > MAX_MESSAGE_BYTES) {
      const bytes = Buffer.byteLength(JSON.stringify(items[i]));
      if (bytes > MAX_MESSAGE_BYTES) {
        return fail(400, 'message_too_large', `batch.${i} is ${bytes} bytes; at most ${MAX_MESSAGE_BYTES} bytes are accepted per message`, `batch.${i}`);
      }
    }
    const check = checkMessage(items[i], undefined);
    if (!check.ok) return invalid(join(`batch.${i}`, check.field), check.problem);
    mapped.push(mapMessage(check.message, batch, receivedAt));
  }
  return { ok: true, value: mapped };
}

/** One group as a queued request, checked against the /track contract the collector relies on. */
function toEnvelope(
  sourceId: string,
  group: ProfileGroup,
  request: HttpRequest,
  requestId: string,
  receivedAt: number,
  endpoint: SegmentEndpoint,
  maxEventBytes: number | undefined,
): Step<Envelope> {
  const payload: TrackPayload = { source: { id: sourceId }, profile: { id: group.profileId }, session: { id: group.sessionId }, events: group.events };
  const schema = checkTrackPayload(payload);
  const content = schema.ok ? checkPayloadContent(payload, maxEventBytes === undefined ? {} : { maxEventBytes }) : undefined;
  const problem = !schema.ok ? schema : content && !content.ok ? content : undefined;
  if (problem) {
    const index = Number(/^events\.(\d+)/.exec(problem.path)?.[1] ?? 0);
    const at = endpoint === 'batch' ? `batch.${group.indexes[index] ?? group.indexes[0]}` : '';
    return fail(400, 'invalid_message', `${at || 'the message'} cannot be stored: as an Inflow event, ${problem.path} ${problem.message}`, at);
  }
  return {
    ok: true,
    value: { v: 1, id: requestId, receivedAt, meta: requestMeta(request, { ip: group.ip, userAgent: group.userAgent }), payload: normalizePayload(payload).payload },
  };
}

function join(prefix: string, field: string): string {
  return prefix === '' ? field : field === '' ? prefix : `${prefix}.${field}`;
}

function invalid(path: string, problem: string): Step<never> {
  return fail(400, 'invalid_message', path === '' ? problem : `${path} ${problem}`, path);
}

function fail(status: number, code: Parameters<typeof segmentError>[1], message: string, path?: string): Step<never> {
  return { ok: false, reply: segmentError(status, code, message, { path }) };
}
