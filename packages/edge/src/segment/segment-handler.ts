import { randomUUID } from 'node:crypto';
import { checkPayloadContent, checkTrackPayload, MAX_JSON_DEPTH, type TrackPayload, valueNestingDepth } from '@inflow/protocol';
import { CLIENT_GONE_STATUS, ClientGoneError, type EdgeMeter, encodeEnvelope, type Envelope, errorMessage, isInfrastructureError, isQueueUnavailable, type Logger, normalizePayload, type RequestBatcher, type TraceSink } from '@inflow/core';
import { recordQueued } from '../track/track-handler.js';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { requestMeta } from '../http/request-meta.js';
import { refusalCors, sourceCors, withCors } from '../public-api/cors.js';
import { outageWarnings } from '../public-api/outage-warnings.js';
import { isUnreachable, originAllowed, type SourceRegistry } from '../sources/source-registry.js';
import { groupByProfile, type IndexedMessage, type ProfileGroup } from './group-by-profile.js';
import { mapMessage, messageField, type BatchFields } from './map-message.js';
import { readSegmentBody } from './read-segment-body.js';
import { checkMessage, isObject, type SegmentType } from './segment-message.js';
import { SEGMENT_SUCCESS, segmentError, segmentPartialSuccess, type SegmentRejection } from './segment-replies.js';
import { writeKeyFromBody, writeKeyFromHeader } from './write-key.js';

/** Segment's limits: 32 KB per message (one call, or each message of a batch), 500 KB per batch (the default here). */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/**
 * What a batch's context may add when merged into each of its messages: 1 MB (500 messages with
 * 2 KB of context), whatever the batch limit, so that one profile's queued request stays well
 * under a queue message's limit (Pulsar's default is 5 MB) however large batches may be.
 */
const MAX_BATCH_CONTEXT_BYTES = 2 * MAX_BATCH_BYTES;
/**
 * Most messages in one batch. Segment's 500 KB holds about 5,000 of the smallest; the clients send
 * 10 to 500 at a time. Each message of its own profile becomes a queued request of its own:
 * 17,000 of them (a 890 KB batch) held the edge's thread for 0.75 s.
 */
export const MAX_BATCH_MESSAGES = 5_000;
/**
 * Deepest nesting of a batch's body. Each message may nest MAX_JSON_DEPTH levels, as a single
 * call's body may; a batch puts its messages two levels down (body, `batch`). A message deeper
 * than that is refused alone, and only a body past this many levels is refused whole.
 */
export const MAX_BATCH_DEPTH = 4 * MAX_JSON_DEPTH;

export interface SegmentDeps {
  sources: Pick<SourceRegistry, 'peek' | 'check' | 'originAllowedAnywhere' | 'originAllowedSomewhere'>;
  /**
   * `maxBodyBytes` (INFLOW_MAX_BODY_BYTES, as for /track): a batch's size, sent or after
   * decompression, at most (default Segment's 500 KB). Segment's clients stay under 500 KB;
   * RudderStack's send up to 4 MB (its data plane's limit), which an operator allows by raising it.
   */
  limits: { maxEvents: number; maxEventBytes: number; maxBodyBytes?: number | undefined };
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
  const maxBytes = endpoint === 'batch' ? (deps.limits.maxBodyBytes ?? MAX_BATCH_BYTES) : MAX_MESSAGE_BYTES;
  const tooLarge = endpoint === 'batch' ? 'batch_too_large' : 'message_too_large';
  const maxDepth = endpoint === 'batch' ? MAX_BATCH_DEPTH : MAX_JSON_DEPTH;
  const warn = outageWarnings(deps.logger);
  return async (request) => {
    const origin = request.headers['origin'];
    if (!deps.isAccepting()) {
      return refusalCors(deps.sources, segmentError(503, 'shutting_down', 'this edge is shutting down; retry', { headers: { 'retry-after': '1' } }), origin);
    }
    const read = await readSegmentBody(request, maxBytes, tooLarge, maxDepth);
    if (!read.ok) return refusalCors(deps.sources, read.reply, origin);
    const { body } = read;

    const writeKey = writeKeyFromHeader(request.headers['authorization']) ?? writeKeyFromBody(body);
    if (writeKey === undefined) {
      return refusalCors(deps.sources, segmentError(401, 'missing_write_key', 'send the write key as the user name of HTTP Basic auth, or as "writeKey" in the body'), origin);
    }
    const source = deps.sources.peek(writeKey) ?? (await deps.sources.check(writeKey));
    if (isUnreachable(source)) {
      warn.sources(`segment ${endpoint} refused, sources cannot be read: ${source.unreachable}`);
      return refusalCors(deps.sources, segmentError(503, 'service_unavailable', `the write key cannot be checked now (${source.unreachable}); retry later`, { headers: { 'retry-after': '1' } }), origin);
    }
    if (!source) return refusalCors(deps.sources, segmentError(401, 'invalid_write_key', 'the write key names no source'), origin);
    if (!source.enabled) return sourceCors(source, segmentError(403, 'source_disabled', `source "${source.id}" is disabled`), origin);
    if (origin && !originAllowed(source, origin)) {
      return segmentError(403, 'origin_not_allowed', `origin ${origin} may not send to source "${source.id}"`);
    }

    const receivedAt = Date.now();
    // Every queued request made of this one carries its id (its X-Request-Id).
    const requestId = request.requestId ?? randomUUID();
    const mapped = mapMessages(endpoint, body, read, receivedAt);
    if (!mapped.ok) return withCors(mapped.reply, origin);
    const { rejected } = mapped.value;
    const groups = groupByProfile(source.id, mapped.value.taken, deps.limits.maxEvents);
    const envelopes: Envelope[] = [];
    const maxEventBytes = read.bytes > deps.limits.maxEventBytes ? deps.limits.maxEventBytes : undefined;
    for (const group of groups) {
      const envelope = toEnvelope(source.id, group, request, requestId, receivedAt, maxEventBytes, endpoint === 'batch', rejected);
      if (envelope) envelopes.push(envelope);
    }
    if (envelopes.length === 0 && rejected.length > 0) {
      // Nothing can be taken: the first message's problem, as for a single call.
      const first = rejected.sort((a, b) => a.index - b.index)[0] as SegmentRejection;
      return withCors(segmentError(400, first.code, first.message, { path: first.path || undefined }), origin);
    }

    try {
      // Appended in order, so a profile's requests keep their order in its lane.
      await Promise.all(
        envelopes.map((envelope) =>
          deps.collectorQueue.append(envelope.payload.profile.id, encodeEnvelope(envelope), receivedAt + deps.queueTimeoutMs, envelope.payload.events.length, request),
        ),
      );
      let events = 0;
      for (const envelope of envelopes) {
        events += envelope.payload.events.length;
        if (deps.trace) recordQueued(deps.trace, envelope, source.id, deps.queueTopic, deps.collectorQueue.laneOf?.(envelope.payload.profile.id) ?? 0);
      }
      deps.meter?.events(events, rejected.length);
      return withCors(rejected.length === 0 ? SEGMENT_SUCCESS : segmentPartialSuccess(rejected.sort((a, b) => a.index - b.index)), origin);
    } catch (error) {
      // Dropped because its client went away: no outage; counted as 499 (never sent).
      if (error instanceof ClientGoneError) return segmentError(CLIENT_GONE_STATUS, 'queue_unavailable', `${error.message}; it was not stored`);
      if (!isQueueUnavailable(error) && !isInfrastructureError(error)) throw error;
      const retryAfter = isQueueUnavailable(error) ? error.retryAfterSeconds : 1;
      warn.queue(`segment ${endpoint} refused, queue unavailable: ${errorMessage(error)}`);
      return withCors(
        segmentError(503, 'queue_unavailable', `the messages cannot be taken now (${errorMessage(error)}); retry later`, {
          headers: { 'retry-after': String(retryAfter) },
        }),
        origin,
      );
    }
  };
}

/** The messages a request may be taken with, and those of a batch refused one by one. */
interface MappedRequest {
  taken: IndexedMessage[];
  rejected: SegmentRejection[];
}

/**
 * The messages of the body, checked and mapped. A single call's problem refuses the request; a
 * batch's bad message is refused alone (named, with its index) and the rest is taken, so that
 * one bad message from a client cannot sink the others (its client would not send them again).
 */
function mapMessages(endpoint: SegmentEndpoint, body: Record<string, unknown>, read: { bytes: number; depth: number }, receivedAt: number): Step<MappedRequest> {
  if (endpoint !== 'batch') {
    const check = checkMessage(body, endpoint);
    if (!check.ok) return invalid(check.field, check.problem);
    return { ok: true, value: { taken: [{ index: 0, message: mapMessage(check.message, {}, receivedAt) }], rejected: [] } };
  }
  const items = body['batch'];
  if (!Array.isArray(items)) return invalid('batch', 'must be an array of messages');
  if (items.length > MAX_BATCH_MESSAGES) {
    return fail(400, 'batch_too_large', `the batch has ${items.length} messages; at most ${MAX_BATCH_MESSAGES} are accepted (send them in several batches)`, 'batch');
  }
  const batch: BatchFields = {};
  // Only a body deeper than a message may be can hold a message or context too deep.
  const mayBeTooDeep = read.depth > MAX_JSON_DEPTH;
  if (isObject(body['context'])) {
    // Merged into each message, where it sits one level down, as a message's own context does.
    if (mayBeTooDeep && 1 + valueNestingDepth(body['context'], MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      return fail(400, 'too_deep', `the batch's context nests objects and arrays more than ${MAX_JSON_DEPTH - 1} levels deep; merged into each message, at most ${MAX_JSON_DEPTH} levels are accepted per message`, 'context');
    }
    // Its keys as the client sent them (an empty key, __proto__…), named here: merged into each
    // message, a bad one would refuse every message, each named by its own context.
    const content = checkPayloadContent({ source: { id: 'batch' }, events: [], context: body['context'] });
    if (!content.ok) return fail(400, 'invalid_message', content.message, content.path);
    batch.context = body['context'];
    // Merged into every message's context: what it adds to the stored batch is bounded.
    const repeated = Buffer.byteLength(JSON.stringify(batch.context)) * items.length;
    if (repeated > MAX_BATCH_CONTEXT_BYTES) {
      return fail(400, 'batch_too_large', `the batch's context, merged into each of its ${items.length} messages, makes ${repeated} bytes; at most ${MAX_BATCH_CONTEXT_BYTES} are accepted (send it with fewer messages, or in each message)`, 'context');
    }
  }
  const sentAt = body['sentAt'];
  if (typeof sentAt === 'string' || typeof sentAt === 'number') batch.sentAt = sentAt;
  const value: MappedRequest = { taken: [], rejected: [] };
  for (let index = 0; index < items.length; index++) {
    if (mayBeTooDeep) {
      const depth = valueNestingDepth(items[index], MAX_JSON_DEPTH);
      if (depth > MAX_JSON_DEPTH) {
        const path = `batch.${index}`;
        value.rejected.push({ index, code: 'too_deep', message: `${path} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted per message`, path });
        continue;
      }
    }
    // No message can be larger than the whole body: measure each one only when the body is.
    if (read.bytes > MAX_MESSAGE_BYTES) {
      const bytes = Buffer.byteLength(JSON.stringify(items[index]));
      if (bytes > MAX_MESSAGE_BYTES) {
        const path = `batch.${index}`;
        value.rejected.push({ index, code: 'message_too_large', message: `${path} is ${bytes} bytes; at most ${MAX_MESSAGE_BYTES} bytes are accepted per message`, path });
        continue;
      }
    }
    const check = checkMessage(items[index], undefined);
    if (!check.ok) {
      const path = join(`batch.${index}`, check.field);
      value.rejected.push({ index, code: 'invalid_message', message: `${path} ${check.problem}`, path });
      continue;
    }
    value.taken.push({ index, message: mapMessage(check.message, batch, receivedAt) });
  }
  return { ok: true, value };
}

/**
 * One group as a queued request, checked against the /track contract the collector relies on:
 * a message whose event the contract refuses is left out and added to `rejected` (all of the
 * group's when the problem is the profile's or session's); undefined when none is left.
 */
function toEnvelope(
  sourceId: string,
  group: ProfileGroup,
  request: HttpRequest,
  requestId: string,
  receivedAt: number,
  maxEventBytes: number | undefined,
  inBatch: boolean,
  rejected: SegmentRejection[],
): Envelope | undefined {
  const events = [...group.events];
  const indexes = [...group.indexes];
  const traitsFrom = [...group.traitsFrom];
  while (events.length > 0) {
    const payload: TrackPayload = { source: { id: sourceId }, profile: { id: group.profileId }, session: { id: group.sessionId }, events };
    if (group.sentAt !== undefined) payload.sentAt = group.sentAt;
    const schema = checkTrackPayload(payload);
    const content = schema.ok ? checkPayloadContent(payload, maxEventBytes === undefined ? {} : { maxEventBytes }) : undefined;
    const problem = !schema.ok ? schema : content && !content.ok ? content : undefined;
    if (!problem) {
      return { v: 1, id: requestId, receivedAt, meta: requestMeta(request, { ip: group.ip, userAgent: group.userAgent }), payload: normalizePayload(payload).payload };
    }
    // `s`: a key may hold a line break, which `.` alone does not match.
    const at = /^events\.(\d+)(?:\.(.+))?$/s.exec(problem.path);
    const bad = at ? [Number(at[1])] : events.map((_, i) => i);
    // The content check's message starts with its path, the schema check's does not.
    const detail = problem.message.startsWith(problem.path) ? problem.message.slice(problem.path.length).trimStart() : problem.message;
    for (const i of bad.reverse()) {
      const index = indexes[i] ?? 0;
      const message = inBatch ? `batch.${index}` : '';
      // Named as the client knows it: its message and field, not the event's place and field in the request made of it.
      const path = at?.[2] === undefined ? message : join(message, messageField(at[2], traitsFrom[i]));
      const where = !at ? `${message || 'the message'}: ${problem.path} ${detail}` : `${path || 'the message'} ${detail}`;
      rejected.push({ index, code: 'invalid_message', message: `${where} (as an Inflow event, it cannot be stored)`, path });
      events.splice(i, 1);
      indexes.splice(i, 1);
      traitsFrom.splice(i, 1);
    }
  }
  return undefined;
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
