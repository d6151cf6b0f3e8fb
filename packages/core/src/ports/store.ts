import type { CountedIn, EventRecord, ProfileRecord, SessionRecord, SourceRecord } from '../records/records.js';

export interface RecordsToWrite {
  profiles: ProfileRecord[];
  sessions: SessionRecord[];
  events: EventRecord[];
}

export interface KindResult {
  /** Written (new, or newer than what was stored). */
  saved: number;
  /** Not written because storage already holds this or a newer version. */
  stale: number;
  /**
   * Ids of the stale records: profiles and sessions (the writer worked on an old copy), and the
   * keys (`eventKey`) of events stored before.
   */
  staleIds: string[];
  /**
   * Could not be written; each with its reason. `permanent`: retrying cannot help (dead-letter
   * it). An event's failure names its profile too: two profiles may use one event id.
   */
  failed: Array<{ id: string; profileId?: string; reason: string; permanent?: boolean }>;
}

export interface WriteResult {
  profiles: KindResult;
  sessions: KindResult;
  events: KindResult;
}

/** What a stored event says of how it was stored: by which request, counted by which writes. */
export interface StoredCopy {
  requestId: string | undefined;
  sessionId: string | undefined;
  countedIn: CountedIn | undefined;
}

export interface EventQuery {
  profileId?: string;
  sessionId?: string;
  limit: number;
}

/** Where profiles, sessions and events live: SQLite embedded, Elasticsearch distributed. */
export interface RecordStore {
  /**
   * Idempotent: events are keyed by id, profiles and sessions keep the highest version.
   * Rejects with InfrastructureError when the store cannot be reached (nothing is known to be written).
   */
  write(records: RecordsToWrite): Promise<WriteResult>;
  /**
   * What the store holds of `events` (each as its request would store it), by `eventKey`: the
   * request that stored each, its session and the writes that count it. Events not stored are absent.
   */
  storedCopies(events: readonly EventRecord[]): Promise<Map<string, StoredCopy>>;
  getProfile(id: string): Promise<ProfileRecord | null>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** Many at once (one round trip where the store allows); the newest stored versions, missing ids absent. */
  getProfiles(ids: string[]): Promise<Map<string, ProfileRecord>>;
  getSessions(ids: string[]): Promise<Map<string, SessionRecord>>;
  listSessions(profileId: string, limit: number): Promise<SessionRecord[]>;
  getEvent(id: string): Promise<EventRecord | null>;
  /** Newest first. */
  listEvents(query: EventQuery): Promise<EventRecord[]>;
}

export interface SourceStore {
  listSources(): Promise<SourceRecord[]>;
  getSource(id: string): Promise<SourceRecord | null>;
  putSource(source: SourceRecord): Promise<void>;
}

/** An event's key in a store: its profile and its id (two profiles may use one event id). */
export function eventKey(profileId: string, eventId: string): string {
  return `${profileId}\u0000${eventId}`;
}
