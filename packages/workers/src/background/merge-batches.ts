import type { RecordsToWrite } from '../ports/store.js';
import type { StorageBatch } from '../records/records.js';

/**
 * Folds many storage batches into one write: the highest version of each profile and
 * session, and each event once.
 */
export function mergeBatches(batches: StorageBatch[]): RecordsToWrite {
  const profiles = new Map<string, StorageBatch['profile']>();
  const sessions = new Map<string, StorageBatch['session']>();
  const events = new Map<string, StorageBatch['events'][number]>();
  for (const batch of batches) {
    keepNewest(profiles, batch.profile);
    keepNewest(sessions, batch.session);
    for (const event of batch.events) events.set(event.id, event);
  }
  return { profiles: [...profiles.values()], sessions: [...sessions.values()], events: [...events.values()] };
}

function keepNewest<T extends { id: string; version: number }>(into: Map<string, T>, record: T): void {
  const current = into.get(record.id);
  if (!current || current.version < record.version) into.set(record.id, record);
}
