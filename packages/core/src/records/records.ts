import type { JsonObject } from '@inflow/protocol';

/** Where a page view happened, read from the payload context or the Referer header. */
export interface PageContext {
  url?: string;
  path?: string;
  title?: string;
  referrer?: string;
}

export interface ProfileRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  firstVisitAt: string;
  lastVisitAt: string;
  /** Number of sessions seen. */
  visits: number;
  eventCount: number;
  traits: JsonObject;
  lastSourceId: string;
  /** Marks (short hashes, packed: see collector/event-marks.ts) of the events counted last: a redelivered or retried event must not count twice. */
  recentEventIds: string[];
  /** Sessions seen last, so a visit counts once per session. Absent on records made before it existed. */
  recentSessionIds?: string[];
  /** Segment tags rules added (workflow `add-segment`). */
  segments?: string[];
  /** Marks of the (rule, event) runs applied last: a rule runs at most once per event. */
  recentRuleRuns?: string[];
  /** Increases by one on every change; storage keeps only the highest. */
  version: number;
  /**
   * Increases by one with every write of the collector, which counts events (a rule's write of
   * the profile leaves it): events say which of these writes counts them (EventRecord.countedIn).
   */
  collectorWrites?: number;
}

export interface SessionRecord {
  id: string;
  profileId: string;
  sourceId: string;
  startedAt: string;
  lastEventAt: string;
  eventCount: number;
  userAgent?: string;
  ip?: string;
  landingPage?: PageContext;
  referrer?: string;
  utm?: Record<string, string>;
  context: JsonObject;
  /** Marks of the events this session counted (see ProfileRecord.recentEventIds). */
  recentEventIds?: string[];
  /**
   * Which collector writes of its profiles (ProfileRecord.collectorWrites) wrote this session too
   * (bookkeeping): an event stored under this session and stamped with a write the session has
   * had was counted by it (see the collector's profile-writes.ts). A session is written from the
   * lane of every profile it saw, so its own version says nothing of one request.
   */
  profileWrites?: ProfileWrites;
  version: number;
}

/** See SessionRecord.profileWrites. */
export interface ProfileWrites {
  /** [profile id, its newest collector write that wrote the session], the profile seen longest ago first. */
  last: Array<[string, number]>;
  /** Whether `last` names every profile that ever wrote the session (kept since the session began, none forgotten). */
  complete: boolean;
}

export interface EventRecord {
  id: string;
  type: string;
  /** When it happened: its own time (corrected for the client's clock when the request said when it was sent), else when received. */
  time: string;
  /**
   * Its own time as the client's clock gave it, kept when the request's sentAt corrected it
   * (Segment's originalTimestamp). A retry repeats it where the corrected time moves with each
   * attempt's transit, so the store places the event by it.
   */
  clientTime?: string;
  receivedAt: string;
  sourceId: string;
  profileId: string;
  sessionId: string;
  requestId: string;
  properties: JsonObject;
  context: JsonObject;
  page?: PageContext;
  userAgent?: string;
  async: boolean;
  /**
   * The profile write that counts this event (see CountedIn), stamped by the collector before it
   * stores the event (bookkeeping): delivered again, its request finds whether that write
   * happened (see the collector's collect-and-store.ts).
   */
  countedIn?: CountedIn;
}

/**
 * The write that counts an event: the profile's `collectorWrites` after it. The session the event
 * is stored under records the same write in its `profileWrites`.
 */
export interface CountedIn {
  profile: number;
}

/** What the collector hands to the background worker for one request. */
export interface StorageBatch {
  requestId: string;
  profile: ProfileRecord;
  session: SessionRecord;
  events: EventRecord[];
}

export interface SourceRecord {
  id: string;
  name: string;
  enabled: boolean;
  /** Origins allowed to post from a browser; '*' allows any. */
  allowedOrigins: string[];
  createdAt: string;
  updatedAt: string;
}
