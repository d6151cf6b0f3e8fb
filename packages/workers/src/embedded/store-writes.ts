import type { SqliteDatabase } from './sqlite.js';

/**
 * The writes of the embedded store, as data: the store's writer thread applies a batch of
 * them in one transaction, so that the request thread never waits on the store's fsync.
 * Each answers how many rows it changed (0: an older version, or an event already stored).
 */
export type StoreWrite =
  | { op: 'profile'; id: string; version: number; data: string }
  | { op: 'session'; id: string; profileId: string; version: number; startedAt: string; data: string }
  | { op: 'event'; id: string; profileId: string; sessionId: string; type: string; time: string; data: string };

/**
 * An event is stored once per profile and id: event ids are the client's, and two profiles (or
 * sources) may use the same one. Keyed by the id alone, the second was taken for a redelivery
 * of the first: counted by its profile, never stored. (Files made before keep their events:
 * prepareStoreSchema moves them to the new table.)
 */
const EVENTS_TABLE = (name: string): string => `CREATE TABLE IF NOT EXISTS ${name} (
  id TEXT NOT NULL, profile_id TEXT NOT NULL, session_id TEXT NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (profile_id, id)
)`;

const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS sources (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, version INTEGER NOT NULL, started_at TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_profile ON sessions (profile_id, started_at);
${EVENTS_TABLE('events')};
CREATE INDEX IF NOT EXISTS events_by_profile ON events (profile_id, time);
CREATE INDEX IF NOT EXISTS events_by_session ON events (session_id, time);
CREATE INDEX IF NOT EXISTS events_by_id ON events (id);`;

/**
 * Creates the store's tables, and moves the events of a file made when an event was keyed by
 * its id alone into the table keyed by profile and id (one transaction: all or nothing).
 */
export function prepareStoreSchema(db: SqliteDatabase): void {
  db.transaction(() => {
    const columns = db.prepare<[], { name: string; pk: number }>("SELECT name, pk FROM pragma_table_info('events')").all();
    if (columns.some((column) => column.name === 'id' && column.pk === 1)) {
      db.exec(`${EVENTS_TABLE('events_by_profile_and_id')};
        INSERT INTO events_by_profile_and_id (id, profile_id, session_id, type, time, data) SELECT id, profile_id, session_id, type, time, data FROM events;
        DROP TABLE events;
        ALTER TABLE events_by_profile_and_id RENAME TO events;`);
    }
    db.exec(STORE_SCHEMA);
  }).immediate();
}
