import { PoisonMessageError } from '../errors.js';
import type { StorageBatch } from './records.js';

export function encodeStorageBatch(batch: StorageBatch): Buffer {
  return Buffer.from(JSON.stringify(batch), 'utf8');
}

/** Reads a storage message; anything that is not a storage batch is a poison message with the reason. */
export function decodeStorageBatch(data: Uint8Array): StorageBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    throw new PoisonMessageError(`storage batch is not JSON: ${(error as Error).message}`);
  }
  const batch = parsed as Partial<StorageBatch> | null;
  if (typeof batch !== 'object' || batch === null) throw new PoisonMessageError('storage batch is not an object');
  if (typeof batch.requestId !== 'string') throw new PoisonMessageError('storage batch has no requestId');
  if (!hasIdAndVersion(batch.profile)) throw new PoisonMessageError('storage batch profile has no id or version');
  if (!hasIdAndVersion(batch.session)) throw new PoisonMessageError('storage batch session has no id or version');
  if (!Array.isArray(batch.events) || !batch.events.every((event: unknown) => hasId(event))) {
    throw new PoisonMessageError('storage batch events are not a list of records with ids');
  }
  return batch as StorageBatch;
}

function hasId(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string';
}

function hasIdAndVersion(value: unknown): boolean {
  return hasId(value) && typeof (value as { version?: unknown }).version === 'number';
}
