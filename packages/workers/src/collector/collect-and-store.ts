import { type Envelope, errorMessage, eventKey, type EventRecord, InfrastructureError, type Logger, type ProfileRecord, type ProfileState, type RecordStore, type SessionRecord, sleep, type StoredCopy, type TraceEntry, type TraceSink, type WriteResult } from '@inflow/core';
import { collect } from './collect.js';
import { type LoadedProfileWrites, sessionHadWrite, withProfileWrites } from './profile-writes.js';
import { loadSessionProfiles, withSessionProfile } from './session-profiles.js';
import { withoutDedupMemory } from './shown-session.js';
import type { CollectorOutcome } from './collector.js';
import type { Subject } from '../conditions/field-path.js';
import type { RulesRound } from '../workflow/rules-in-batch.js';

/** Where stored events go next (dispatch, workflow). */
export interface SubjectFeed {
  publish(subjects: readonly Subject[]): Promise<unknown>;
  /**
   * Whether anything takes stored events now (an enabled destination or rule): when nothing
   * does, the collector does not build them. Without it, they are always built.
   */
  listening?(): Promise<boolean>;
}

export interface CollectAndStoreDeps {
  state: ProfileState;
  store: RecordStore;
  logger: Logger;
  /**
   * Where stored events go next (dispatch): every event of a stored request, already counted
   * or not, with the profile and session it left, before the request counts as done. A
   * failure throws, and the whole group is tried again (storing it again changes nothing).
   */
  feed?: SubjectFeed;
  /**
   * Rules run in this write (the embedded engine): each request's events on the profile it
   * left, the rules' changes stored with it. Without it, rules are the workflow role's (feed).
   */
  rules?: { round(): Promise<RulesRound> } | undefined;
  /** Where stored and deduplicated requests are recorded. */
  trace?: TraceSink | undefined;
  /** Told how long each store write took (seconds). */
  storeWrites?: ((seconds: number) => void) | undefined;
  /**
   * Events (eventKey) stored by a call that threw before their requests' profile and session
   * writes both landed (a store outage between the writes, a session shard still recovering,
   * a profile that kept changing), with when: kept by the call that threw. When such an event
   * comes back (the retry of its batch), the profile still goes by the write stamped on it, but
   * the session by what it remembers (its marks): another collector holding the lane may
   * meanwhile have written the session for a later write of the same profile, after which the
   * stamp would say the session counted it. An entry goes once a call that met it succeeds, or
   * CARRIED_MS after a try last met it (its request went to another collector or a dead letter:
   * a much later copy is settled by the stamps). Without it, the stamps decide.
   */
  unsettledEvents?: Map<string, number> | undefined;
}

/**
 * Rounds of "the store holds a newer copy: read it and apply again" before giving up for now.
 * Each round has a winner per record among all writers, so contended records (a session two
 * collectors both update) move on; a short random pause between rounds breaks lockstep.
 */
const MAX_ROUNDS = 40;

/**
 * One group write: load every profile and session the requests name (cache, then one
 * multi-get from the store), apply the requests in order, write the events, then the newest
 * profiles and sessions, then refresh the cache. Events the store already holds from another
 * request (a client's resend) are found between the two writes, and the group is applied again
 * without counting them. A profile or session the store
 * already holds in a newer version means the copy worked on was old (a cache that lagged or
 * was restored): those requests are applied again on the store's copy, which remembers the
 * events it counted, so nothing is counted twice or lost.
 */
export async function collectAndStore(envelopes: Envelope[], deps: CollectAndStoreDeps): Promise<CollectorOutcome[]> {
  const call: CallProgress = { created: new Set(), events: [], written: new Set() };
  const carried = deps.unsettledEvents;
  if (!carried) return collectRounds(envelopes, deps, call);
  forgetOld(carried);
  let outcomes: CollectorOutcome[];
  try {
    outcomes = await collectRounds(envelopes, deps, call);
  } catch (error) {
    keepUnsettled(carried, call);
    throw error;
  }
  if (carried.size > 0) for (const events of call.events) for (const event of events) carried.delete(eventKey(event.profileId, event.id));
  return outcomes;
}

/** Drops what was kept longer than CARRIED_MS since a try last met it (the map is oldest first). */
function forgetOld(carried: Map<string, number>): void {
  const oldest = Date.now() - CARRIED_MS;
  for (const [key, at] of carried) {
    if (at > oldest) break;
    carried.delete(key);
  }
}

/**
 * What a call got done, as far as it went: the events its writes created, each round's events,
 * and the requests whose profile and session writes landed.
 */
interface CallProgress {
  created: Set<string>;
  events: EventRecord[][];
  written: Set<string>;
}

/**
 * After a call threw: of the requests whose profile and session writes did not both land, the
 * events it created and those kept from an earlier try (their batch is still being tried) are
 * kept, with the time; those of requests whose writes landed are settled.
 */
function keepUnsettled(carried: Map<string, number>, call: CallProgress): void {
  const keys: string[] = [];
  for (const events of call.events) {
    for (const event of events) {
      const key = eventKey(event.profileId, event.id);
      if (call.written.has(event.requestId)) carried.delete(key);
      else if (call.created.has(key) || carried.has(key)) keys.push(key);
    }
  }
  // Past this many, an outage that went on and on: the stamps decide again, as without the map.
  if (carried.size + keys.length > MAX_CARRIED_EVENTS) carried.clear();
  const now = Date.now();
  for (const key of keys) {
    // Moved to the end, so the map stays oldest first.
    carried.delete(key);
    carried.set(key, now);
  }
}

/** Events kept for the retry of their batch (CollectAndStoreDeps.unsettledEvents): how many, how long. */
const MAX_CARRIED_EVENTS = 200_000;
const CARRIED_MS = 120_000;

/** The rounds of one call, which note in `call` what they got done. */
async function collectRounds(envelopes: Envelope[], deps: CollectAndStoreDeps, call: CallProgress): Promise<CollectorOutcome[]> {
  const { created } = call;
  const outcomes: Array<CollectorOutcome | undefined> = new Array(envelopes.length);
  const started = performance.now();
  let todo = envelopes.map((_, index) => index);
  const tally = { events: 0, newEvents: 0, profiles: 0, sessions: 0, stale: 0, recounted: 0, rejected: 0, runs: 0, matched: 0 };
  const staleSoFar = { profiles: new Set<string>(), sessions: new Set<string>() };
  // Events the store says the profile (the session) counted already (see countedBefore), and
  // the events this call's own writes created, which nothing counted before.
  const counted = { profile: new Set<string>(), session: new Set<string>() };
  // Asked once a call: a destination or rule enabled meanwhile takes events from the next call on.
  const feed = deps.feed && (deps.feed.listening ? await deps.feed.listening() : true) ? deps.feed : undefined;
  for (let round = 1; todo.length > 0; round++) {
    if (round > MAX_ROUNDS) throw new InfrastructureError('store', `profiles kept changing under ${todo.length} requests; retrying later`);
    if (round > 1) await sleep(Math.random() * Math.min(100, 5 * round));
    const group = todo.map((index) => ({ index, envelope: envelopes[index] as Envelope }));
    const state = await deps.state.load(unique(group.map((g) => g.envelope.payload.profile.id)), unique(group.map((g) => g.envelope.payload.session.id)));
    // What the store called stale comes from the store itself: a cache refilled meanwhile may be old again.
    await overrideFromStore(state.sessions, staleSoFar.sessions, (ids) => deps.store.getSessions(ids));
    // Sessions known, the profiles they give to requests that named none can be loaded.
    await loadSessionProfiles(group.map((g) => g.envelope), state, deps.state);
    await overrideFromStore(state.profiles, staleSoFar.profiles, (ids) => deps.store.getProfiles(ids));
    // Each write moves a record exactly one version past the copy it started from, however many
    // requests it folds: two writers that started from the same copy then write the same
    // version, and the store refuses the second (external versioning only takes a higher one).
    const base = { profiles: versionsOf(state.profiles), sessions: versionsOf(state.sessions) };
    // The collector's own writes of each profile so far (rules' writes move its version too): this
    // round's is the next, and what events are stamped with. And which of those writes each session had.
    const writesBefore = new Map([...state.profiles].map(([id, p]) => [id, p.collectorWrites ?? 0]));
    const sessionsHad: LoadedProfileWrites = new Map([...state.sessions].map(([id, s]) => [id, s.profileWrites]));
    const events: EventRecord[] = [];
    // Which profiles' requests each session took in this round: the session records their writes.
    const touched = { profiles: new Set<string>(), sessions: new Set<string>(), sessionProfiles: new Map<string, Set<string>>() };
    const applied: Array<{ index: number; envelope: Envelope; eventIds: string[]; duplicates: readonly string[]; sessionCountedAlike: boolean }> = [];
    const rules = await deps.rules?.round();
    for (const { index, envelope: received } of group) {
      // Resolved on the sessions as this group left them so far: a session created or moved by
      // an earlier request of the group gives its profile to the next one.
      const envelope = withSessionProfile(received, state.sessions);
      const { profile, session } = envelope.payload;
      try {
        const batch = collect(envelope, { profile: state.profiles.get(profile.id) ?? null, session: state.sessions.get(session.id) ?? null }, counted);
        state.profiles.set(profile.id, rules && batch.events.length > 0 ? rules.apply(batch.events, batch.profile, batch.session, envelope.id) : batch.profile);
        state.sessions.set(session.id, batch.session);
        touched.profiles.add(profile.id);
        touched.sessions.add(session.id);
        // The session records the profile's write of this round only for a request that counts
        // something in it: a request counted before by both (a redelivered copy, another
        // collector's) stores no event stamped with this write, and a round whose profile write
        // loses would otherwise have the session claim a write whose events it never counted.
        if (batch.duplicates.length < batch.events.length || !batch.sessionCountedAlike) {
          const profilesOfSession = touched.sessionProfiles.get(session.id);
          if (profilesOfSession) profilesOfSession.add(profile.id);
          else touched.sessionProfiles.set(session.id, new Set([profile.id]));
        }
        events.push(...batch.events);
        applied.push({ index, envelope, eventIds: batch.events.map((event) => event.id), duplicates: batch.duplicates, sessionCountedAlike: batch.sessionCountedAlike });
      } catch (error) {
        outcomes[index] = { kind: 'rejected', reason: `collector could not apply the request: ${errorMessage(error)}` };
        tally.rejected += 1;
      }
    }
    const profiles = [...touched.profiles].map((id) => ({
      ...(state.profiles.get(id) as ProfileRecord),
      version: (base.profiles.get(id) ?? 0) + 1,
      collectorWrites: (writesBefore.get(id) ?? 0) + 1,
    }));
    const sessions = [...touched.sessions].map((id) => {
      const session = state.sessions.get(id) as SessionRecord;
      const profileWrites = withProfileWrites(session.profileWrites, !base.sessions.has(id), touched.sessionProfiles.get(id) ?? new Set(), writesBefore);
      return { ...session, version: (base.sessions.get(id) ?? 0) + 1, profileWrites };
    });
    // Events first, then the profiles and sessions that count them: an event the store holds
    // already is found before anything counts it, and a crash in between leaves events whose
    // profile write never happened. Each event names the profile write that counts it.
    for (const event of events) event.countedIn = { profile: (writesBefore.get(event.profileId) ?? 0) + 1 };
    call.events.push(events);
    const writeStarted = deps.storeWrites ? performance.now() : 0;
    const written = await deps.store.write({ profiles: [], sessions: [], events });
    throwIfRetryable(written);
    tally.newEvents += written.events.saved;
    const existed = new Set(written.events.staleIds);
    const refused = new Set(written.events.failed.map((failure) => eventKey(failure.profileId ?? '', failure.id)));
    const before: EventRecord[] = [];
    for (const event of events) {
      const key = eventKey(event.profileId, event.id);
      if (!existed.has(key)) {
        if (!refused.has(key)) created.add(key);
      } else if (!created.has(key)) before.push(event);
    }
    if (before.length > 0 && (await countedBefore(before, applied, { profiles: writesBefore, sessions: sessionsHad }, counted, deps.store, deps.unsettledEvents))) {
      // Applied again without counting them; nothing of this round's profiles and sessions was written.
      tally.recounted += 1;
      todo = todo.filter((index) => outcomes[index] === undefined);
      continue;
    }
    // Effects before the profiles: a write that fails or finds a newer copy runs the rules again, and each effect is idempotent.
    await rules?.carryOut();
    const result = await deps.store.write({ profiles, sessions, events: [] });
    result.events = written.events;
    deps.storeWrites?.((performance.now() - writeStarted) / 1000);
    noteWritten(call.written, applied, result);
    throwIfRetryable(result);

    const stale = { profiles: new Set(result.profiles.staleIds), sessions: new Set(result.sessions.staleIds) };
    const permanent = permanentFailures(result);
    await deps.state.save(
      profiles.filter((p) => !stale.profiles.has(p.id) && !permanent.has(`profile:${p.id}`)),
      sessions.filter((s) => !stale.sessions.has(s.id) && !permanent.has(`session:${s.id}`)),
    );
    if (rules) {
      const ran = rules.settle((id) => !stale.profiles.has(id) && !permanent.has(`profile:${id}`));
      tally.runs += ran.runs;
      tally.matched += ran.matched;
    }
    tally.events += events.length;
    tally.profiles += result.profiles.saved;
    tally.sessions += result.sessions.saved;

    const again: number[] = [];
    const done: Subject[] = [];
    // By profile and id: two profiles may have used one event id in this write.
    const eventsById = new Map(events.map((event) => [eventKey(event.profileId, event.id), event]));
    const profilesById = new Map(profiles.map((p) => [p.id, p]));
    const sessionsById = new Map(sessions.map((s) => [s.id, s]));
    const traced: TraceEntry[] = [];
    for (const { index, envelope, eventIds, duplicates } of applied) {
      const { profile, session } = envelope.payload;
      const failure =
        permanent.get(`profile:${profile.id}`) ?? permanent.get(`session:${session.id}`) ?? eventIds.map((id) => permanent.get(`event:${eventKey(profile.id, id)}`)).find(Boolean);
      if (failure) {
        outcomes[index] = { kind: 'rejected', reason: `the store refused it: ${failure}` };
        tally.rejected += 1;
      } else if (stale.profiles.has(profile.id) || stale.sessions.has(session.id)) {
        again.push(index);
      } else {
        outcomes[index] = { kind: 'stored', accepted: { queued: false, profile: { id: profile.id }, session: { id: session.id }, events: eventIds }, duplicates: duplicates.length };
        if (deps.trace) traced.push(...storedEntries(envelope, eventIds, duplicates));
        if (feed) done.push(...subjectsOf(eventIds, eventsById, profilesById.get(profile.id), sessionsById.get(session.id)));
      }
    }
    if (done.length > 0) await feed?.publish(done);
    for (const entry of traced) deps.trace?.record(entry);
    if (again.length > 0) {
      tally.stale += again.length;
      for (const id of stale.profiles) staleSoFar.profiles.add(id);
      for (const id of stale.sessions) staleSoFar.sessions.add(id);
      await deps.state.forget([...stale.profiles], [...stale.sessions]);
    }
    todo = again;
  }
  deps.logger.info(
    `Collected: requests ${envelopes.length}, events ${tally.events} (new ${tally.newEvents}), profiles saved ${tally.profiles}, sessions saved ${tally.sessions}, reapplied ${tally.stale}${tally.recounted > 0 ? `, events found counted before ${counted.profile.size}` : ''}, rejected ${tally.rejected}${deps.rules ? `, rules run ${tally.runs} (matched ${tally.matched})` : ''}, ${Math.round(performance.now() - started)} ms`,
  );
  return outcomes as CollectorOutcome[];
}

/**
 * The requests of a round whose profile and session writes both landed (whatever failed of the
 * round's other records): what fails after (another record, the cache, the feed) is tried
 * again, and what the store holds says they were counted.
 */
function noteWritten(written: Set<string>, applied: ReadonlyArray<{ envelope: Envelope }>, result: WriteResult): void {
  const { profiles, sessions } = result;
  if (profiles.failed.length + sessions.failed.length + profiles.staleIds.length + sessions.staleIds.length === 0) {
    for (const { envelope } of applied) written.add(envelope.id);
    return;
  }
  const notLanded = {
    profiles: new Set([...profiles.failed.map((failure) => failure.id), ...profiles.staleIds]),
    sessions: new Set([...sessions.failed.map((failure) => failure.id), ...sessions.staleIds]),
  };
  for (const { envelope } of applied) {
    if (!notLanded.profiles.has(envelope.payload.profile.id) && !notLanded.sessions.has(envelope.payload.session.id)) written.add(envelope.id);
  }
}

/** 'stored' for the events the profile counted now, 'deduplicated' for those it had counted before. */
function storedEntries(envelope: Envelope, eventIds: string[], duplicates: readonly string[]): TraceEntry[] {
  const { payload } = envelope;
  const at = Date.now();
  const requestId = envelope.id;
  const profileId = payload.profile.id;
  const session = payload.session.id;
  // Literals of one shape, not spreads of a shared base: this runs for every request.
  if (duplicates.length === 0) return [{ at, stage: 'stored', role: 'collector', requestId, profileId, eventIds, detail: { session, duplicates: 0 } }];
  return [
    { at, stage: 'stored', role: 'collector', requestId, profileId, eventIds: eventIds.filter((id) => !duplicates.includes(id)), detail: { session, duplicates: duplicates.length } },
    { at, stage: 'deduplicated', role: 'collector', requestId, profileId, eventIds: duplicates, detail: { session } },
  ];
}

function subjectsOf(
  eventIds: string[],
  events: Map<string, EventRecord>,
  profile: ProfileRecord | undefined,
  session: SessionRecord | undefined,
): Subject[] {
  if (!profile || !session) return [];
  // Without the dedup memory: it is bookkeeping, and it would make every message kilobytes longer.
  const shown = { profile: { ...profile, recentEventIds: [] }, session: withoutDedupMemory(session) };
  delete shown.profile.recentSessionIds;
  return eventIds.flatMap((id) => {
    const stored = events.get(eventKey(profile.id, id));
    if (!stored) return [];
    // Without the write that counts it, bookkeeping too.
    const event = { ...stored };
    delete event.countedIn;
    return [{ event, ...shown }];
  });
}

function throwIfRetryable(result: WriteResult): void {
  const retryable = [...result.profiles.failed, ...result.sessions.failed, ...result.events.failed].find((failure) => !failure.permanent);
  if (retryable) throw new InfrastructureError('store', `could not write ${retryable.id}: ${retryable.reason}`);
}

/**
 * Whether the store says that events this round counts were counted before (added to
 * `counted`), for events its write found stored already (nearly never but after a crash, a
 * redelivery or a client's resend). Whichever request stored an event, its copy names the
 * profile's collector write and the session's version that count it:
 * - the profile counted it if it has had that write since (this request delivered again however
 *   late, or a resend of events whose first request was stored); a write not had means the
 *   collector that stored the event stopped before the profile's write, and the event counts now;
 *   a copy stored before events carried stamps was counted by the request that stored it;
 * - the session: only the one the event is stored under counts it, and it did if it had the
 *   profile's stamped write (its `profileWrites`); where it cannot tell, a copy another request
 *   stored was counted by that request, and otherwise what the session remembers decides.
 */
async function countedBefore(
  events: readonly EventRecord[],
  applied: ReadonlyArray<{ envelope: Envelope; duplicates: readonly string[]; sessionCountedAlike: boolean }>,
  had: { profiles: ReadonlyMap<string, number>; sessions: LoadedProfileWrites },
  counted: { profile: Set<string>; session: Set<string> },
  store: RecordStore,
  unsettled: ReadonlyMap<string, number> | undefined,
): Promise<boolean> {
  // What this round may count: by key, whether the profile counts it (the session counts the
  // same events, or where it does not, any of them may be).
  const countedNow = new Map<string, { byProfile: boolean; bySession: boolean }>();
  for (const { envelope, duplicates, sessionCountedAlike } of applied) {
    for (const { id } of envelope.payload.events) {
      const key = eventKey(envelope.payload.profile.id, id);
      const byProfile = !duplicates.includes(id);
      const bySession = byProfile || !sessionCountedAlike;
      const known = countedNow.get(key);
      if (byProfile || bySession || known) countedNow.set(key, { byProfile: byProfile || (known?.byProfile ?? false), bySession: bySession || (known?.bySession ?? false) });
    }
  }
  // One record a key: the first, of the request that counts it (a later one in the round holds a copy).
  const firsts = new Map<string, EventRecord>();
  for (const event of events) {
    const key = eventKey(event.profileId, event.id);
    if (countedNow.has(key) && !firsts.has(key)) firsts.set(key, event);
  }
  if (firsts.size === 0) return false;
  const copies = await store.storedCopies([...firsts.values()]);
  const oldest = Date.now() - CARRIED_MS;
  // Requests of this round: a copy one of them stored (another chunk of the same bulk) is this round's own.
  const round = new Set(applied.map(({ envelope }) => envelope.id));
  let found = false;
  for (const [key, event] of firsts) {
    const copy = copies.get(key);
    const now = countedNow.get(key);
    if (!copy || !now) continue;
    const elsewhere = copy.requestId !== undefined && copy.requestId !== event.requestId && !round.has(copy.requestId);
    const byProfile = copy.countedIn ? (had.profiles.get(event.profileId) ?? 0) >= copy.countedIn.profile : elsewhere;
    // A session is written by the requests of every profile it saw, from every lane: its version
    // moves on without this request, so it records the writes of its profiles it had.
    // An earlier try stored it and its writes did not both land: what the session remembers
    // decides (a later write of the profile stamped on the session may be another collector's).
    const bySession = copy.sessionId !== event.sessionId || (!keptSince(unsettled, key, oldest) && sessionCounted(had.sessions, event, copy, elsewhere));
    if (byProfile && !counted.profile.has(key)) {
      counted.profile.add(key);
      found ||= now.byProfile;
    }
    if (bySession && !counted.session.has(key)) {
      counted.session.add(key);
      found ||= now.bySession;
    }
  }
  return found;
}

/** Kept by a failed try (CollectAndStoreDeps.unsettledEvents) no earlier than `oldest`. */
function keptSince(unsettled: ReadonlyMap<string, number> | undefined, key: string, oldest: number): boolean {
  const at = unsettled?.get(key);
  return at !== undefined && at > oldest;
}

/** Whether the event's own session counted the stored copy: by the stamped write where it can tell, else by who stored it. */
function sessionCounted(sessions: LoadedProfileWrites, event: EventRecord, copy: StoredCopy, elsewhere: boolean): boolean {
  return (copy.countedIn && sessionHadWrite(sessions, event, copy.countedIn.profile)) ?? elsewhere;
}

function permanentFailures(result: WriteResult): Map<string, string> {
  const failures = new Map<string, string>();
  for (const [kind, outcome] of [['profile', result.profiles], ['session', result.sessions], ['event', result.events]] as const) {
    for (const failure of outcome.failed) {
      // An event's by its profile and id (eventKey): two profiles may use one event id in a write.
      const id = kind === 'event' && failure.profileId !== undefined ? eventKey(failure.profileId, failure.id) : failure.id;
      if (failure.permanent) failures.set(`${kind}:${id}`, failure.reason);
    }
  }
  return failures;
}

function versionsOf(records: Map<string, { version: number }>): Map<string, number> {
  return new Map([...records].map(([id, record]) => [id, record.version]));
}

async function overrideFromStore<T>(into: Map<string, T>, ids: Set<string>, read: (ids: string[]) => Promise<Map<string, T>>): Promise<void> {
  if (ids.size === 0) return;
  const stored = await read([...ids]);
  for (const id of ids) {
    const record = stored.get(id);
    if (record) into.set(id, record);
    else into.delete(id);
  }
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
