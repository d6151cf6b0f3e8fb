import type { LoadedState, ProfileRecord, ProfileState, RecordStore, SessionRecord } from '@inflow/core';

/**
 * The embedded engine's profile state: the most recently stored profiles and sessions kept in
 * memory (least recently used evicted first) over the SQLite store. The collector saves here
 * only what the store already holds, so an evicted record read back from the store is current.
 */
export class CachedProfileState implements ProfileState {
  private readonly profiles = new Map<string, ProfileRecord>();
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(
    private readonly store: RecordStore,
    private readonly capacity: number,
  ) {}

  async load(profileIds: string[], sessionIds: string[]): Promise<LoadedState> {
    const [profiles, sessions] = await Promise.all([
      readThrough(this.profiles, profileIds, (ids) => this.store.getProfiles(ids)),
      readThrough(this.sessions, sessionIds, (ids) => this.store.getSessions(ids)),
    ]);
    return { profiles, sessions };
  }

  async save(profiles: ProfileRecord[], sessions: SessionRecord[]): Promise<void> {
    for (const profile of profiles) remember(this.profiles, profile, this.capacity);
    for (const session of sessions) remember(this.sessions, session, this.capacity);
  }

  async forget(profileIds: string[], sessionIds: string[]): Promise<void> {
    for (const id of profileIds) this.profiles.delete(id);
    for (const id of sessionIds) this.sessions.delete(id);
  }
}

async function readThrough<T>(cache: Map<string, T>, ids: string[], fromStore: (ids: string[]) => Promise<Map<string, T>>): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const missing: string[] = [];
  for (const id of ids) {
    const hit = cache.get(id);
    if (hit) found.set(id, hit);
    else missing.push(id);
  }
  if (missing.length > 0) for (const [id, record] of await fromStore(missing)) found.set(id, record);
  return found;
}

function remember<T extends { id: string; version: number }>(map: Map<string, T>, record: T, capacity: number): void {
  const current = map.get(record.id);
  if (current && current.version > record.version) return;
  map.delete(record.id);
  map.set(record.id, record);
  if (map.size > capacity) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
