/**
 * The writes of the embedded store, as data: the store's writer thread applies a batch of
 * them in one transaction, so that the request thread never waits on the store's fsync.
 * Each answers how many rows it changed (0: an older version, or an event already stored).
 */
export type StoreWrite =
  | { op: 'profile'; id: string; version: number; data: string }
  | { op: 'session'; id: string; profileId: string; version: number; startedAt: string; data: string }
  | { op: 'event'; id: string; profileId: string; sessionId: string; type: string; time: string; data: string };

export const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS sources (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, version INTEGER NOT NULL, started_at TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_profile ON sessions (profile_id, started_at);
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, session_id TEXT NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_profile ON events (profile_id, time);
CREATE INDEX IF NOT EXISTS events_by_session ON events (session_id, time);`;
