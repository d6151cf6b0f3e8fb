import type { ProfileRecord, SessionRecord } from '../records/records.js';

export interface LoadedState {
  profiles: Map<string, ProfileRecord>;
  sessions: Map<string, SessionRecord>;
}

/**
 * The collector's working copy of profiles and sessions: a cache in front of the store (in
 * memory when embedded, Redis when distributed). The store is the authority: the collector
 * writes the store first and the cache after, so the cache never holds what the store does
 * not. A cache that lost everything only costs cold reads.
 */
export interface ProfileState {
  /** Cached copies first, the rest from the store in one multi-get; missing ids are absent from the maps. */
  load(profileIds: string[], sessionIds: string[]): Promise<LoadedState>;
  /** Remembers what was just stored; a newer cached version wins. Best effort: a failure is only logged. */
  save(profiles: ProfileRecord[], sessions: SessionRecord[]): Promise<void>;
  /** Drops cached copies that turned out older than the store's. */
  forget(profileIds: string[], sessionIds: string[]): Promise<void>;
}
