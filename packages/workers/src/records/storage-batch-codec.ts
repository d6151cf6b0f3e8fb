import { PoisonMessageError } from '../errors.js';
import type { OutgoingMessage } from '../ports/queue.js';
import type { StorageBatch } from './records.js';

/** Largest storage message: well under Pulsar's WebSocket frame limit (1 MiB) after base64. */
export const MAX_STORAGE_MESSAGE_BYTES = 256 * 1024;

/**
 * Packs the records of many requests into few storage messages (a JSON array each, at most
 * `maxBytes`), so the storage topic carries one message per collector batch, not one per
 * request. Order between them does not matter: the store keeps the highest version.
 */
export function encodeStorageMessages(batches: StorageBatch[], maxBytes = MAX_STORAGE_MESSAGE_BYTES): OutgoingMessage[] {
  const messages: OutgoingMessage[] = [];
  let parts: string[] = [];
  let size = 2;
  let key = '';
  const flush = (): void => {
    if (parts.length === 0) return;
    messages.push({ key, data: Buffer.from(`[${parts.join(',')}]`, 'utf8') });
    parts = [];
    size = 2;
  };
  for (const batch of batches) {
    const json = JSON.stringify(batch);
    const bytes = Buffer.byteLength(json, 'utf8') + 1;
    if (parts.length > 0 && size + bytes > maxBytes) flush();
    if (parts.length === 0) key = batch.profile.id;
    parts.push(json);
    size += bytes;
  }
  flush();
  return messages;
}

/** Reads a storage message; anything that is not a list of storage batches is a poison message with the reason. */
export function decodeStorageMessage(data: Uint8Array): StorageBatch[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    throw new PoisonMessageError(`storage message is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new PoisonMessageError('storage message is not a list of batches');
  parsed.forEach((batch: unknown, index) => checkBatch(batch, index));
  return parsed as StorageBatch[];
}

function checkBatch(value: unknown, index: number): void {
  const batch = value as Partial<StorageBatch> | null;
  const at = `storage batch ${index}`;
  if (typeof batch !== 'object' || batch === null) throw new PoisonMessageError(`${at} is not an object`);
  if (typeof batch.requestId !== 'string') throw new PoisonMessageError(`${at} has no requestId`);
  if (!hasIdAndVersion(batch.profile)) throw new PoisonMessageError(`${at} profile has no id or version`);
  if (!hasIdAndVersion(batch.session)) throw new PoisonMessageError(`${at} session has no id or version`);
  if (!Array.isArray(batch.events) || !batch.events.every((event: unknown) => hasId(event))) {
    throw new PoisonMessageError(`${at} events are not a list of records with ids`);
  }
}

function hasId(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string';
}

function hasIdAndVersion(value: unknown): boolean {
  return hasId(value) && typeof (value as { version?: unknown }).version === 'number';
}
