import { errorMessage, isPoisonMessage } from '../errors.js';
import { decodeEnvelope, type Envelope } from './envelope.js';

/** One request read from a queued message, or the reason it cannot be read, with its own bytes (for a dead letter). */
export type QueuedRequest = { ok: true; envelope: Envelope } | { ok: false; reason: string; data: Uint8Array };

/**
 * Many encoded envelopes as one queue message: a JSON array of them, so the edge publishes one
 * Pulsar message per batch of requests instead of one per request.
 */
export function encodeEnvelopeBatch(envelopes: Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [OPEN];
  envelopes.forEach((envelope, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(envelope);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/**
 * Reads a queued message: a batch (JSON array) or a single envelope (a replayed dead letter).
 * Each request is checked on its own, so one bad request never sinks the others.
 */
export function decodeQueuedRequests(data: Uint8Array): QueuedRequest[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (text.trimStart().startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (error) {
      return [{ ok: false, reason: `batch is not JSON: ${errorMessage(error)}`, data }];
    }
    return (items as unknown[]).map((item) => decodeOne(() => Buffer.from(JSON.stringify(item) ?? 'null', 'utf8'), item));
  }
  return [decodeOne(() => data)];
}

function decodeOne(bytes: () => Uint8Array, parsed?: unknown): QueuedRequest {
  try {
    return { ok: true, envelope: decodeEnvelope(parsed === undefined ? bytes() : EMPTY, parsed) };
  } catch (error) {
    if (!isPoisonMessage(error)) throw error;
    return { ok: false, reason: error.message, data: bytes() };
  }
}

const EMPTY = new Uint8Array(0);

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
