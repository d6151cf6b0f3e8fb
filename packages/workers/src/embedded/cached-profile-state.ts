import type { ProfileState } from '../ports/profile-state.js';
import type { RecordStore } from '../ports/store.js';
import type { ProfileRecord, SessionRecord } from '../records/records.js';

/**
 * The embedded engine's profile state: the newest copies the collector wrote, kept in
 * memory (most recently used first), over the store for everything older. In one process
 * this sees every change before the background worker has stored it. The capacity must
 * stay well above the number of profiles active while the storage topic drains (an evicted
 * profile is read back from the store, which may not yet hold its newest version).
 */
export class CachedProfileState implements ProfileState {
  private readonly profiles = new Map<string, ProfileRecord>();
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(
    private readonly store: RecordStore,
    private readonly capacity: number,
  ) {}

  async getProfile(id: string): Promise<ProfileRecord | null> {
    return this.profiles.get(id) ?? (await this.store.getProfile(id));
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    return this.sessions.get(id) ?? (await this.store.getSession(id));
  }

  async put(profile: ProfileRecord, session: SessionRecord): Promise<void> {
    remember(this.profiles, profile, this.capacity);
    remember(this.sessions, session, this.capacity);
  }
}

function remember<T extends { id: string }>(map: Map<string, T>, record: T, capacity: number): void {
  map.delete(record.id);
  map.set(record.id, record);
  if (map.size > capacity) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
