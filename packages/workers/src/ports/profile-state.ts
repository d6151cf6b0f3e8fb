import type { ProfileRecord, SessionRecord } from '../records/records.js';

/**
 * The collector's working copy of profiles and sessions. Reads must see every change
 * the collector made before, even if the background worker has not stored it yet:
 * an in-process cache over the store when embedded, Redis when distributed.
 */
export interface ProfileState {
  getProfile(id: string): Promise<ProfileRecord | null>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** Rejects with StateConflictError when a newer version is already there. */
  put(profile: ProfileRecord, session: SessionRecord): Promise<void>;
}
