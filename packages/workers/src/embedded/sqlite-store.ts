import { type CountedIn, type EventQuery, type EventRecord, eventKey, InfrastructureError, type StoredCopy, type KindResult, type ProfileRecord, type RecordStore, type RecordsToWrite, type SessionRecord, type SourceRecord, type SourceStore, type WriteResult } from '@inflow/core';
import { openDatabase, sqliteCall, type SqliteDatabase } from './sqlite.js';
import { SqliteWriter } from './sqlite-writer.js';
import { prepareStoreSchema, type StoreWrite } from './store-writes.js';

type DataRow = { data: string };

/**
 * The embedded store: profiles, sessions, events and sources in one SQLite file. Profiles,
 * sessions and events are written by a writer thread of their own (started at the first write:
 * an edge that only queues never starts it), a batch in one transaction, so that the store's
 * fsync never holds up the requests the same process serves; measured on `inflow run` at 8
 * connections, writing on the main thread cost 40 % of its throughput. Reads and sources (rare
 * writes, which may wait briefly for the thread's commit) use this thread's connection.
 */
export class SqliteStore implements RecordStore, SourceStore {
  private readonly db: SqliteDatabase;
  private readonly sql;
  private writer: SqliteWriter<StoreWrite, number> | undefined;
  private closed = false;

  constructor(private readonly file: string) {
    this.db = openDatabase(file);
    prepareStoreSchema(this.db);
    const db = this.db;
    this.sql = {
      profile: db.prepare<[string], DataRow>('SELECT data FROM profiles WHERE id = ?'),
      session: db.prepare<[string], DataRow>('SELECT data FROM sessions WHERE id = ?'),
      sessionsOf: db.prepare<[string, number], DataRow>(
        'SELECT data FROM sessions WHERE profile_id = ? ORDER BY started_at DESC LIMIT ?',
      ),
      // The newest, should two profiles have used one id.
      event: db.prepare<[string], DataRow>('SELECT data FROM events WHERE id = ? ORDER BY time DESC LIMIT 1'),
      eventsOfProfile: db.prepare<[string, number], DataRow>(
        'SELECT data FROM events WHERE profile_id = ? ORDER BY time DESC, id DESC LIMIT ?',
      ),
      eventsOfSession: db.prepare<[string, number], DataRow>(
        'SELECT data FROM events WHERE session_id = ? ORDER BY time DESC, id DESC LIMIT ?',
      ),
      eventsOfBoth: db.prepare<[string, string, number], DataRow>(
        'SELECT data FROM events WHERE profile_id = ? AND session_id = ? ORDER BY time DESC, id DESC LIMIT ?',
      ),
      storedCopy: db.prepare<[string, string], { requestId: string | null; sessionId: string; countedIn: string | null }>(
        "SELECT json_extract(data, '$.requestId') AS requestId, session_id AS sessionId, json_extract(data, '$.countedIn') AS countedIn FROM events WHERE profile_id = ? AND id = ?",
      ),
      latestEvents: db.prepare<[number], DataRow>('SELECT data FROM events ORDER BY time DESC, id DESC LIMIT ?'),
      sources: db.prepare<[], DataRow>('SELECT data FROM sources ORDER BY id'),
      source: db.prepare<[string], DataRow>('SELECT data FROM sources WHERE id = ?'),
      putSource: db.prepare('INSERT INTO sources (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
    };
  }

  /** One transaction; a failure (busy, full or failing disk) rejects with InfrastructureError: nothing was written, the work waits and is tried again. */
  async write(records: RecordsToWrite): Promise<WriteResult> {
    const result: WriteResult = { profiles: emptyResult(), sessions: emptyResult(), events: emptyResult() };
    if (this.closed && records.profiles.length + records.sessions.length + records.events.length > 0) throw new InfrastructureError('store', 'sqlite: the store is closed');
    const writes: StoreWrite[] = [];
    for (const p of records.profiles) writes.push({ op: 'profile', id: p.id, version: p.version, data: JSON.stringify(p) });
    for (const s of records.sessions) writes.push({ op: 'session', id: s.id, profileId: s.profileId, version: s.version, startedAt: s.startedAt, data: JSON.stringify(s) });
    for (const e of records.events) writes.push({ op: 'event', id: e.id, profileId: e.profileId, sessionId: e.sessionId, type: e.type, time: e.time, data: JSON.stringify(e) });
    if (writes.length === 0) return result;
    const changes = await this.writerThread().write(writes);
    changes.forEach((changed, i) => {
      const write = writes[i] as StoreWrite;
      if (write.op === 'profile') count(result.profiles, write.id, changed);
      else if (write.op === 'session') count(result.sessions, write.id, changed);
      else count(result.events, eventKey(write.profileId, write.id), changed);
    });
    return result;
  }

  async storedCopies(events: readonly EventRecord[]): Promise<Map<string, StoredCopy>> {
    const found = new Map<string, StoredCopy>();
    for (const event of events) {
      const row = this.sql.storedCopy.get(event.profileId, event.id);
      if (row) found.set(eventKey(event.profileId, event.id), { requestId: row.requestId ?? undefined, sessionId: row.sessionId, countedIn: row.countedIn ? (JSON.parse(row.countedIn) as CountedIn) : undefined });
    }
    return found;
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
    sqliteCall('sources', () => this.sql.putSource.run(source.id, JSON.stringify(source)));
  }

  /** Writes already handed to the writer thread commit before the files close; later ones are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }

  /**
   * The writer thread, started at the first write. One that dies (out of memory on a huge group,
   * say) is replaced at the next write: the group it held failed uncommitted and is retried, as
   * after any outage of the store. Its heap is bounded (1 GB, far above a collector group's rows)
   * so that a runaway group ends the thread, not the process.
   */
  private writerThread(): SqliteWriter<StoreWrite, number> {
    const unavailable = (reason: string): InfrastructureError => new InfrastructureError('store', `sqlite: ${reason}`);
    try {
      this.writer ??= new SqliteWriter({ file: this.file, thread: 'store', heapMb: 1024, respawn: true, unavailable });
    } catch (error) {
      throw unavailable(`cannot start the writer thread: ${(error as Error).message}`);
    }
    return this.writer;
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
