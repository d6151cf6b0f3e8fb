import { createHash } from 'node:crypto';
import { Client, errors, type estypes } from '@elastic/elasticsearch';
import { type EventQuery, type EventRecord, errorMessage, eventKey, InfrastructureError, MAX_CLOCK_SKEW_MS, type StoredCopy, type KindResult, type Logger, type ProfileRecord, type RecordStore, type RecordsToWrite, type SessionRecord, sleep, type SourceRecord, type SourceStore, type WriteResult } from '@inflow/core';
import { canBeDocumentId } from './document-ids.js';
import { emptyKindResult, indexUnavailable, verdictOf, type BulkItemOutcome } from './bulk-results.js';
import { ensureIndex } from './ensure-index.js';
import { asInfrastructure, infrastructure } from './transient-errors.js';
import { EVENT_MAPPINGS, PROFILE_MAPPINGS, SESSION_MAPPINGS, SOURCE_MAPPINGS } from './mappings.js';

export interface ElasticStoreOptions {
  url: string;
  /** Index names start with it: {prefix}-profiles, {prefix}-sessions, {prefix}-events-YYYY.MM.DD, {prefix}-sources. */
  indexPrefix: string;
  /** Tries of a bulk for items that failed with 429 or 5xx, resubmitting only those. */
  bulkAttempts: number;
  /** Largest bulk request body; a larger write is sent as several bulks. */
  maxBulkBytes: number;
  /** Bulk requests of one write sent at once. */
  maxBulksInFlight?: number;
  /**
   * How soon a write becomes searchable (index.refresh_interval); longer is cheaper for ingest.
   * 'auto' (the default): none set, so that Elasticsearch refreshes an index every second only
   * while it is searched (see indexSettings).
   */
  refreshInterval?: string;
  logger: Logger;
}

/** One bulk item; `doc` is serialised once, for both the byte bound and the request. */
type Operation = {
  kind: keyof WriteResult;
  id: string;
  profileId?: string;
  action: Record<string, unknown>;
  doc: string;
  /** A late event's second choice: its create in the index of the day it was received, when its own day's index cannot be written. */
  fallback?: Record<string, unknown> | undefined;
};

/**
 * The distributed store. Profiles, sessions and sources live in one index each (a profile is
 * never duplicated across dated indices); events in daily indices by the day of the event,
 * once per profile and event id (eventDocumentId). Profiles and sessions are written with external versioning,
 * so an older version can never overwrite a newer one whatever the order of workers.
 */
export class ElasticStore implements RecordStore, SourceStore {
  readonly client: Client;
  private readonly index;

  constructor(private readonly options: ElasticStoreOptions) {
    this.client = new Client({ node: options.url, requestTimeout: 30_000, maxRetries: 2 });
    const prefix = options.indexPrefix;
    this.index = {
      profiles: `${prefix}-profiles`,
      sessions: `${prefix}-sessions`,
      sources: `${prefix}-sources`,
      eventsPattern: `${prefix}-events-*`,
      eventsOn: (isoTime: string) => `${prefix}-events-${isoTime.slice(0, 10).replaceAll('-', '.')}`,
    };
  }

  /** Creates the index template for events and the single indices, when missing. */
  async init(): Promise<void> {
    const settings = indexSettings(this.options.refreshInterval ?? 'auto');
    await infrastructure(() =>
      this.client.indices.putIndexTemplate({
        name: `${this.options.indexPrefix}-events`,
        index_patterns: [this.index.eventsPattern],
        template: { settings, mappings: EVENT_MAPPINGS },
      }),
    );
    for (const [index, mappings] of [
      [this.index.profiles, PROFILE_MAPPINGS],
      [this.index.sessions, SESSION_MAPPINGS],
      [this.index.sources, SOURCE_MAPPINGS],
    ] as const) {
      await ensureIndex(this.client, index, settings, mappings);
    }
    await this.applyRefresh([this.index.profiles, this.index.sessions, this.index.sources]);
    this.options.logger.debug('elasticsearch indices ready', { prefix: this.options.indexPrefix });
  }

  async write(records: RecordsToWrite): Promise<WriteResult> {
    const result: WriteResult = { profiles: emptyKindResult(), sessions: emptyKindResult(), events: emptyKindResult() };
    const events = records.events.length > 0 ? await this.notStoredNextDoor(records.events, result.events) : records.events;
    let pending: Operation[] = [
      ...records.profiles.map((p) => versioned('profiles', this.index.profiles, p)),
      ...records.sessions.map((s) => versioned('sessions', this.index.sessions, s)),
      ...events.map((e) => this.eventOperation(e)),
    ];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: Operation[] = [];
      const rerouted: string[] = [];
      const sendChunk = async (chunk: Operation[]): Promise<void> => {
        const response = await infrastructure(() =>
          // Only what verdictOf reads: a far smaller answer to write, send and parse.
          this.client.bulk({ operations: chunk.flatMap((op) => [op.action, op.doc]), refresh: false, filter_path: BULK_ITEM_FIELDS }),
        );
        if (response.items?.length !== chunk.length) throw new InfrastructureError('store', `bulk answered ${response.items?.length ?? 0} items for ${chunk.length}`);
        response.items.forEach((item, i) => {
          const op = chunk[i] as Operation;
          const outcome = Object.values(item)[0] as BulkItemOutcome;
          const verdict = verdictOf(outcome);
          const kind: KindResult = result[op.kind];
          if (verdict.kind === 'saved') kind.saved += 1;
          else if (verdict.kind === 'stale') {
            kind.stale += 1;
            kind.staleIds.push(op.kind === 'events' && op.profileId !== undefined ? eventKey(op.profileId, op.id) : op.id);
          } else if (verdict.kind === 'fatal') kind.failed.push({ ...failedOf(op), reason: verdict.reason, permanent: true });
          else if (op.fallback && indexUnavailable(outcome.error?.type)) {
            // An older day's index made read-only, closed or removed (index lifecycle) waits for no one:
            // the late event goes to the index of the day it came in, where the current traffic goes.
            rerouted.push(`${op.id} (${verdict.reason})`);
            retry.push({ ...op, action: op.fallback, fallback: undefined });
          } else if (attempt < this.options.bulkAttempts) retry.push(op);
          else kind.failed.push({ ...failedOf(op), reason: verdict.reason, permanent: false });
        });
      };
      await inParallel(chunksOf(pending, this.options.maxBulkBytes), this.options.maxBulksInFlight ?? 2, sendChunk);
      if (rerouted.length > 0) this.options.logger.warn(`${rerouted.length} late events go to the index of the day they came in, their own day's cannot be written: ${rerouted.slice(0, 3).join(', ')}${rerouted.length > 3 ? ', …' : ''}`);
      if (retry.length > 0) await sleep(100 * 2 ** attempt);
      pending = retry;
    }
    return result;
  }

  /** An event's create, in the index of its day (see indexDay), with the index of the day it was received as the fallback. */
  private eventOperation(event: EventRecord): Operation {
    const { id, index, received } = this.eventPlace(event);
    return {
      kind: 'events',
      id: event.id,
      profileId: event.profileId,
      action: { create: { _index: index, _id: id } },
      doc: JSON.stringify(event),
      fallback: received === index ? undefined : { create: { _index: received, _id: id } },
    };
  }

  /** Where an event is stored: its document id, the index of its day, and the index of the day it was received. */
  private eventPlace(event: EventRecord): { id: string; index: string; received: string } {
    return { id: eventDocumentId(event), index: this.index.eventsOn(indexDay(event)), received: this.index.eventsOn(event.receivedAt) };
  }

  /**
   * The index of the day next to an event's where an attempt of it may be stored already: for an
   * event placed by the time it was received (no time of its own, or one too far off: indexDay),
   * received within RETRY_ACROSS_MIDNIGHT_MS of a UTC midnight. A client's retry of it after
   * midnight is received on the next day (or, through an edge whose clock is behind, on the day
   * before), and would otherwise be stored a second time, in that day's index.
   */
  private nextDoor(event: EventRecord): string | undefined {
    const at = Date.parse(event.receivedAt);
    const intoDay = ((at % DAY_MS) + DAY_MS) % DAY_MS;
    const near = intoDay < RETRY_ACROSS_MIDNIGHT_MS ? at - RETRY_ACROSS_MIDNIGHT_MS : intoDay >= DAY_MS - RETRY_ACROSS_MIDNIGHT_MS ? at + RETRY_ACROSS_MIDNIGHT_MS : undefined;
    if (near === undefined || indexDay(event) !== event.receivedAt) return undefined;
    return this.index.eventsOn(new Date(near).toISOString());
  }

  /**
   * The events to create: those stored already in the index next door (nextDoor) are left out and
   * told as stale in `into`, as a create that finds its document is, so the collector asks who
   * counted them (storedCopies looks there too); so is a second attempt of one in this same write
   * (the first is created: two creates in two indices never conflict). One multi-get, only for
   * events near a midnight. A copy next door that cannot be read (its index closed, or not
   * answering) is taken for none, with a warning: the write does not wait on an index it does
   * not write, and the event is stored again rather than not at all.
   */
  private async notStoredNextDoor(events: readonly EventRecord[], into: KindResult): Promise<readonly EventRecord[]> {
    const near: Array<{ at: string; event: EventRecord }> = [];
    for (const event of events) {
      const at = this.nextDoor(event);
      if (at !== undefined) near.push({ at, event });
    }
    if (near.length === 0) return events;
    const stored = new Set<EventRecord>();
    const unread: string[] = [];
    await this.eachFound(near, false, (event) => stored.add(event), (event, reason) => unread.push(`${event.id} (${reason})`));
    if (unread.length > 0) this.options.logger.warn(`${unread.length} events near midnight are stored without knowing whether the next day's index (the day before's) holds them already: ${unread.slice(0, 3).join(', ')}${unread.length > 3 ? ', …' : ''}`);
    // The first record of each document in this write is created; a later attempt near midnight is not.
    const firsts = new Map<string, EventRecord>();
    for (const event of events) {
      const id = eventDocumentId(event);
      if (!firsts.has(id)) firsts.set(id, event);
    }
    for (const { event } of near) if (firsts.get(eventDocumentId(event)) !== event) stored.add(event);
    if (stored.size === 0) return events;
    for (const event of stored) {
      into.stale += 1;
      into.staleIds.push(eventKey(event.profileId, event.id));
    }
    return events.filter((event) => !stored.has(event));
  }

  /** One multi-get of the events' stored copies (their own day's index, the day they came in where that differs, and the index next door), two fields of each. */
  async storedCopies(events: readonly EventRecord[]): Promise<Map<string, StoredCopy>> {
    const found = new Map<string, StoredCopy>();
    const docs = events.flatMap((event) => {
      const { index, received } = this.eventPlace(event);
      const next = this.nextDoor(event);
      return [...new Set([index, received, ...(next === undefined ? [] : [next])])].map((at) => ({ at, event }));
    });
    await this.eachFound<Partial<StoredCopy>>(docs, ['requestId', 'sessionId', 'countedIn'], (event, copy) =>
      found.set(eventKey(event.profileId, event.id), { requestId: copy?.requestId, sessionId: copy?.sessionId, countedIn: copy?.countedIn }),
    );
    return found;
  }

  /**
   * One multi-get of events' documents, each in the index `at`: `found` is told of each one there,
   * with the `fields` asked for. A missing index holds nothing. Any other error of a document goes
   * to `unread` when given; without it, a closed or blocked index is taken for holding nothing of
   * the event (it went to the index of the day received, asked too), and any other error leaves
   * the question open: this throws (InfrastructureError: wait and ask again).
   */
  private async eachFound<Source>(
    docs: ReadonlyArray<{ at: string; event: EventRecord }>,
    fields: string[] | false,
    found: (event: EventRecord, source: Source | undefined) => void,
    unread?: (event: EventRecord, reason: string) => void,
  ): Promise<void> {
    if (docs.length === 0) return;
    const response = await infrastructure(() => this.client.mget<Source>({ docs: docs.map(({ at, event }) => ({ _index: at, _id: eventDocumentId(event), _source: fields })) }));
    response.docs.forEach((doc, i) => {
      const { event } = docs[i] as (typeof docs)[number];
      if ('found' in doc) {
        if (doc.found) found(event, doc._source);
      } else if (doc.error.type === 'index_not_found_exception') return;
      else if (unread) unread(event, doc.error.type);
      else if (!indexUnavailable(doc.error.type)) throw new InfrastructureError('store', `multi-get of event ${event.id}: ${doc.error.type} ${doc.error.reason ?? ''}`);
    });
  }

  getProfiles(ids: string[]): Promise<Map<string, ProfileRecord>> {
    return this.getMany<ProfileRecord>(this.index.profiles, ids);
  }

  getSessions(ids: string[]): Promise<Map<string, SessionRecord>> {
    return this.getMany<SessionRecord>(this.index.sessions, ids);
  }

  getProfile(id: string): Promise<ProfileRecord | null> {
    return this.getById<ProfileRecord>(this.index.profiles, id);
  }

  getSession(id: string): Promise<SessionRecord | null> {
    return this.getById<SessionRecord>(this.index.sessions, id);
  }

  listSessions(profileId: string, limit: number): Promise<SessionRecord[]> {
    return this.search<SessionRecord>(this.index.sessions, { term: { profileId } }, [{ startedAt: 'desc' }], limit);
  }

  /** The event with this id (the newest, should two profiles have used one id). */
  async getEvent(id: string): Promise<EventRecord | null> {
    const [event] = await this.search<EventRecord>(this.index.eventsPattern, { term: { id } }, [{ time: 'desc' }], 1);
    return event ?? null;
  }

  listEvents(query: EventQuery): Promise<EventRecord[]> {
    const filter = [
      ...(query.profileId ? [{ term: { profileId: query.profileId } }] : []),
      ...(query.sessionId ? [{ term: { sessionId: query.sessionId } }] : []),
    ];
    return this.search<EventRecord>(this.index.eventsPattern, { bool: { filter } }, [{ time: 'desc' }, { id: 'desc' }], query.limit);
  }

  listSources(): Promise<SourceRecord[]> {
    return infrastructure(() => this.search<SourceRecord>(this.index.sources, { match_all: {} }, [{ id: 'asc' }], 1000));
  }

  /**
   * Indices made before (by an older version, or with another INFLOW_REFRESH_INTERVAL) take the
   * refresh as configured now ('auto' resets refresh_interval to Elasticsearch's default). Daily
   * event indices take it from the template as they are made. An index that refuses the change
   * (a write block) keeps its own, with a warning.
   */
  private async applyRefresh(indices: string[]): Promise<void> {
    // The settings new indices get; a refresh_interval they do not set is reset (null: Elasticsearch's default, which the client's types do not allow for).
    const settings = { refresh_interval: null, ...indexSettings(this.options.refreshInterval ?? 'auto') } as unknown as estypes.IndicesIndexSettings;
    try {
      await this.client.indices.putSettings({ index: indices.join(','), settings });
    } catch (error) {
      this.options.logger.warn(`the refresh of ${indices.join(', ')} stays as it was: ${errorMessage(error)}`);
    }
  }

  getSource(id: string): Promise<SourceRecord | null> {
    return this.getById<SourceRecord>(this.index.sources, id);
  }

  async putSource(source: SourceRecord): Promise<void> {
    await this.client.index({ index: this.index.sources, id: source.id, document: source, refresh: 'wait_for' });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async getById<T>(index: string, id: string): Promise<T | null> {
    if (!canBeDocumentId(id)) return null;
    try {
      const response = await this.client.get<T>({ index, id });
      return response._source ?? null;
    } catch (error) {
      if (error instanceof errors.ResponseError && error.statusCode === 404) return null;
      throw asInfrastructure(error);
    }
  }

  /** Real-time multi-get: sees every write acknowledged before, refreshed or not. */
  private async getMany<T>(index: string, ids: string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const asked = ids.filter(canBeDocumentId);
    if (asked.length === 0) return found;
    const response = await infrastructure(() => this.client.mget<T>({ index, ids: asked }));
    for (const doc of response.docs) {
      if ('found' in doc && doc.found && doc._source) found.set(doc._id, doc._source);
      else if ('error' in doc) throw new InfrastructureError('store', `multi-get of ${doc._id}: ${JSON.stringify(doc.error)}`);
    }
    return found;
  }

  private async search<T>(index: string, query: Record<string, unknown>, sort: Array<Record<string, 'asc' | 'desc'>>, size: number): Promise<T[]> {
    const response = await this.client.search<T>({ index, query, sort, size, ignore_unavailable: true, allow_no_indices: true });
    return response.hits.hits.flatMap((hit) => (hit._source ? [hit._source] : []));
  }
}

/** What a failure names of its operation: the record's id, and an event's profile. */
function failedOf(op: Operation): { id: string; profileId?: string } {
  return op.profileId === undefined ? { id: op.id } : { id: op.id, profileId: op.profileId };
}

/** The fields of a bulk answer the store reads: each item's status and error, in order. */
const BULK_ITEM_FIELDS = ['items.*.status', 'items.*.error.type', 'items.*.error.reason'];

/** Runs `task` over `items` with at most `limit` at once. */
async function inParallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Splits operations into bulks of at most `maxBytes` (a single larger document goes alone). */
function chunksOf(operations: Operation[], maxBytes: number): Operation[][] {
  const chunks: Operation[][] = [];
  let chunk: Operation[] = [];
  let bytes = 0;
  for (const op of operations) {
    const size = op.doc.length + 200;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(op);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * How long an index goes without searches before Elasticsearch stops refreshing it (while no
 * refresh_interval is set). Refreshing indices nobody searches (under ingest alone: profiles and
 * sessions, which the collector reads by id, in real time) took about a quarter of
 * Elasticsearch's CPU end to end; a search of an idle index refreshes it first.
 */
export const SEARCH_IDLE_AFTER = '2s';

/** Settings of every index: no replicas (one node), and the refresh as configured ('auto': Elasticsearch's, idle after SEARCH_IDLE_AFTER). */
export function indexSettings(refreshInterval: string): Record<string, string | number> {
  return refreshInterval === 'auto'
    ? { number_of_replicas: 0, 'search.idle.after': SEARCH_IDLE_AFTER }
    : { number_of_replicas: 0, refresh_interval: refreshInterval };
}

function versioned(kind: 'profiles' | 'sessions', index: string, record: { id: string; version: number }): Operation {
  return {
    kind,
    id: record.id,
    action: { index: { _index: index, _id: record.id, version: record.version, version_type: 'external' } },
    doc: JSON.stringify(record),
  };
}

/**
 * An event's document id: its id within its profile. Event ids are the client's (Segment's
 * messageId, a tracker's UUID, a server's counter); two profiles, or two sources, may use the
 * same one, and keyed by the id alone the second event found the first's document and was taken
 * for a redelivery: counted by its profile, never stored. A redelivery finds its document as
 * long as its profile is the same (a request whose profile its session decides is taken again
 * by the session's profile, which a merge in between may have changed). The profile is hashed
 * to keep the id within the 512 bytes Elasticsearch allows (an event id is at most 128 UTF-16
 * units, 384 bytes).
 */
export function eventDocumentId(event: Pick<EventRecord, 'id' | 'profileId'>): string {
  return `${profileHash(event.profileId)}:${event.id}`;
}

/** Profiles hashed lately: a profile's events come in together and again (2 % of a collector's CPU profile went to hashing). */
const profileHashes = new Map<string, string>();
const PROFILE_HASHES_KEPT = 10_000;

function profileHash(profileId: string): string {
  let hash = profileHashes.get(profileId);
  if (hash === undefined) {
    hash = createHash('sha1').update(profileId).digest('base64url').slice(0, 22);
    if (profileHashes.size >= PROFILE_HASHES_KEPT) profileHashes.clear();
    profileHashes.set(profileId, hash);
  }
  return hash;
}

/**
 * How close to a UTC midnight an event placed by the time it was received is also looked for in
 * the next day's (the day before's) index (ElasticStore's nextDoor): a client's retry later than
 * this after midnight is stored again. One multi-get a write, for such events only.
 */
export const RETRY_ACROSS_MIDNIGHT_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The day whose index holds an event: its own time by the client's clock (clientTime when sentAt
 * corrected it: the corrected time moves with each attempt's transit), which a client retry
 * repeats, so a retried event lands in the same index and is stored once. A time far from when it
 * was received (a wrong client clock) falls back to the receive time rather than opening odd indices.
 */
export function indexDay(event: Pick<EventRecord, 'time' | 'clientTime' | 'receivedAt'>): string {
  const own = event.clientTime ?? event.time;
  const skew = Math.abs(Date.parse(own) - Date.parse(event.receivedAt));
  return skew <= MAX_CLOCK_SKEW_MS ? own : event.receivedAt;
}
