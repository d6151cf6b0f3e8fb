import { type EventQuery, type EventRecord, InfrastructureError, type KindResult, type ProfileRecord, type RecordStore, type RecordsToWrite, type SessionRecord, type SourceRecord, type SourceStore, type WriteResult } from '@inflow/core';
import { openDatabase, type SqliteDatabase } from './sqlite.js';

const SCHEMA = `
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

type DataRow = { data: string };

/** The embedded store: profiles, sessions, events and sources in one SQLite file. */
export class SqliteStore implements RecordStore, SourceStore {
  private readonly db: SqliteDatabase;
  private readonly sql;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.exec(SCHEMA);
    const db = this.db;
    this.sql = {
      upsertProfile: db.prepare(
        `INSERT INTO profiles (id, version, data) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data WHERE excluded.version > profiles.version`,
      ),
      upsertSession: db.prepare(
        `INSERT INTO sessions (id, profile_id, version, started_at, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET profile_id = excluded.profile_id, version = excluded.version, data = excluded.data
         WHERE excluded.version > sessions.version`,
      ),
      insertEvent: db.prepare(
        'INSERT OR IGNORE INTO events (id, profile_id, session_id, type, time, data) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      profile: db.prepare<[string], DataRow>('SELECT data FROM profiles WHERE id = ?'),
      session: db.prepare<[string], DataRow>('SELECT data FROM sessions WHERE id = ?'),
      sessionsOf: db.prepare<[string, number], DataRow>(
        'SELECT data FROM sessions WHERE profile_id = ? ORDER BY started_at DESC LIMIT ?',
      ),
      event: db.prepare<[string], DataRow>('SELECT data FROM events WHERE id = ?'),
      eventsOfProfile: db.prepare<[string, number], DataRow>(
        'SELECT data FROM events WHERE profile_id = ? ORDER BY time DESC, id DESC LIMIT ?',
      ),
      eventsOfSession: db.prepare<[string, number], DataRow>(
        'SELECT data FROM events WHERE session_id = ? ORDER BY time DESC, id DESC LIMIT ?',
      ),
      eventsOfBoth: db.prepare<[string, string, number], DataRow>(
        'SELECT data FROM events WHERE profile_id = ? AND session_id = ? ORDER BY time DESC, id DESC LIMIT ?',
      ),
      latestEvents: db.prepare<[number], DataRow>('SELECT data FROM events ORDER BY time DESC, id DESC LIMIT ?'),
      sources: db.prepare<[], DataRow>('SELECT data FROM sources ORDER BY id'),
      source: db.prepare<[string], DataRow>('SELECT data FROM sources WHERE id = ?'),
      putSource: db.prepare('INSERT INTO sources (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
    };
  }

  async write(records: RecordsToWrite): Promise<WriteResult> {
    const result: WriteResult = { profiles: emptyResult(), sessions: emptyResult(), events: emptyResult() };
    try {
      this.writeAll(records, result);
    } catch (error) {
      // Busy, full or failing disk: nothing was written (one transaction); the work waits and is tried again.
      throw new InfrastructureError('store', `sqlite: ${(error as Error).message}`, { cause: error });
    }
    return result;
  }

  private writeAll(records: RecordsToWrite, result: WriteResult): void {
    this.db.transaction(() => {
      for (const p of records.profiles) {
        count(result.profiles, p.id, this.sql.upsertProfile.run(p.id, p.version, JSON.stringify(p)).changes);
      }
      for (const s of records.sessions) {
        count(result.sessions, s.id, this.sql.upsertSession.run(s.id, s.profileId, s.version, s.startedAt, JSON.stringify(s)).changes);
      }
      for (const e of records.events) {
        count(result.events, undefined, this.sql.insertEvent.run(e.id, e.profileId, e.sessionId, e.type, e.time, JSON.stringify(e)).changes);
      }
    })();
  }

  async getProfile(id: string): Promise<ProfileRecord | null> {
    return parse<ProfileRecord>(this.sql.profile.get(id));
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    return parse<SessionRecord>(this.sql.session.get(id));
  }

  async getProfiles(ids: string[]): Promise<Map<string, ProfileRecord>> {
    return rowsById<ProfileRecord>(ids, (id) => this.sql.profile.get(id));
  }

  async getSessions(ids: string[]): Promise<Map<string, SessionRecord>> {
    return rowsById<SessionRecord>(ids, (id) => this.sql.session.get(id));
  }

  async listSessions(profileId: string, limit: number): Promise<SessionRecord[]> {
    return this.sql.sessionsOf.all(profileId, limit).map((row) => JSON.parse(row.data) as SessionRecord);
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    return parse<EventRecord>(this.sql.event.get(id));
  }

  async listEvents(query: EventQuery): Promise<EventRecord[]> {
    const { profileId, sessionId, limit } = query;
    const rows =
      profileId && sessionId
        ? this.sql.eventsOfBoth.all(profileId, sessionId, limit)
        : profileId
          ? this.sql.eventsOfProfile.all(profileId, limit)
          : sessionId
            ? this.sql.eventsOfSession.all(sessionId, limit)
            : this.sql.latestEvents.all(limit);
    return rows.map((row) => JSON.parse(row.data) as EventRecord);
  }

  async listSources(): Promise<SourceRecord[]> {
    return this.sql.sources.all().map((row) => JSON.parse(row.data) as SourceRecord);
  }

  async getSource(id: string): Promise<SourceRecord | null> {
    return parse<SourceRecord>(this.sql.source.get(id));
  }

  async putSource(source: SourceRecord): Promise<void> {
    this.sql.putSource.run(source.id, JSON.stringify(source));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function emptyResult(): KindResult {
  return { saved: 0, stale: 0, staleIds: [], failed: [] };
}

function count(result: KindResult, staleId: string | undefined, changes: number): void {
  if (changes > 0) result.saved += 1;
  else {
    result.stale += 1;
    if (staleId !== undefined) result.staleIds.push(staleId);
  }
}

function rowsById<T>(ids: string[], read: (id: string) => DataRow | undefined): Map<string, T> {
  const found = new Map<string, T>();
  for (const id of ids) {
    const row = read(id);
    if (row) found.set(id, JSON.parse(row.data) as T);
  }
  return found;
}

function parse<T>(row: DataRow | undefined): T | null {
  return row ? (JSON.parse(row.data) as T) : null;
}
