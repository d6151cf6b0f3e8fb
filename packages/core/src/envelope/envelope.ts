import { checkTrackPayload, eventTimeMs, type NormalizedPayload, sentAtMs, type TrackPayload } from '@inflow/protocol';
import { PoisonMessageError } from '../errors.js';

/** What the edge knows about the HTTP request besides its body. */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  origin?: string;
  referer?: string;
}

/** One accepted /track request as it travels on the queue. */
export interface Envelope {
  v: 1;
  /** Request id: unique per accepted request, stable across redeliveries. */
  id: string;
  receivedAt: number;
  meta: RequestMeta;
  payload: NormalizedPayload;
  /**
   * The request named a session but no profile: the collector applies it to the profile the
   * session belongs to, and `payload.profile` only when the session is new (its id is derived
   * from the session id, so every copy of the request resolves alike). Absent otherwise.
   */
  profileFromSession?: true;
}

/**
 * Serialises an envelope. When the edge did not need to change the payload, `rawPayload`
 * (the request body as received) is spliced in as it is, which avoids a second JSON.stringify.
 */
export function encodeEnvelope(envelope: Envelope, rawPayload?: string): Buffer {
  const head = JSON.stringify(
    envelope.profileFromSession
      ? { v: envelope.v, id: envelope.id, receivedAt: envelope.receivedAt, meta: envelope.meta, profileFromSession: true }
      : { v: envelope.v, id: envelope.id, receivedAt: envelope.receivedAt, meta: envelope.meta },
  );
  const payload = rawPayload ?? JSON.stringify(envelope.payload);
  return Buffer.from(`${head.slice(0, -1)},"payload":${payload}}`, 'utf8');
}

/** Reads an envelope from the queue; anything unreadable is a poison message with the reason. */
export function decodeEnvelope(data: Uint8Array, alreadyParsed?: unknown): Envelope {
  let parsed: unknown = alreadyParsed;
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
    } catch (error) {
      throw new PoisonMessageError(`envelope is not JSON: ${(error as Error).message}`);
    }
  }
  if (!isRecord(parsed) || parsed['v'] !== 1) throw new PoisonMessageError('envelope version is not 1');
  const { id, receivedAt, meta } = parsed;
  if (typeof id !== 'string' || id.length === 0) throw new PoisonMessageError('envelope id is missing');
  if (typeof receivedAt !== 'number') throw new PoisonMessageError('envelope receivedAt is not a number');
  // The tolerance for what older edges queued is asked only of a payload the check refuses.
  let check = checkTrackPayload(parsed['payload']);
  if (!check.ok) check = checkTrackPayload(tolerated(parsed['payload']));
  if (!check.ok) throw new PoisonMessageError(`payload ${check.path}: ${check.message}`);
  if (!isNormalized(check.value)) throw new PoisonMessageError('payload has events, a profile or a session without id');
  const envelope: Envelope = { v: 1, id, receivedAt, meta: isRecord(meta) ? (meta as RequestMeta) : {}, payload: check.value };
  if (parsed['profileFromSession'] === true) envelope.profileFromSession = true;
  return envelope;
}

/**
 * A payload as an edge from before a rule was tightened may have queued it: an unreadable sentAt
 * (not checked before) or event time (since read more strictly) is left out, so the events keep
 * their own times or the time received, rather than the whole request becoming a dead letter. A
 * copy: the message as queued stays as it was (a dead letter keeps it whole).
 */
function tolerated(payload: unknown): unknown {
  if (!isRecord(payload)) return payload;
  let copy: Record<string, unknown> | undefined;
  if (payload['sentAt'] !== undefined && sentAtMs(payload['sentAt']) === undefined) {
    copy = { ...payload };
    delete copy['sentAt'];
  }
  const events = payload['events'];
  const unreadable = (event: unknown): event is Record<string, unknown> => isRecord(event) && event['time'] !== undefined && eventTimeMs(event['time']) === undefined;
  if (Array.isArray(events) && events.some(unreadable)) {
    copy = { ...(copy ?? payload), events: events.map((event: unknown) => (unreadable(event) ? withoutTime(event) : event)) };
  }
  return copy ?? payload;
}

function withoutTime({ time: _, ...event }: Record<string, unknown>): Record<string, unknown> {
  return event;
}

export function isNormalized(payload: TrackPayload): payload is NormalizedPayload {
  return Boolean(payload.profile?.id && payload.session?.id && payload.events.every((event) => event.id));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
