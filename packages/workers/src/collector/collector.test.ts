import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CachedProfileState } from '../embedded/cached-profile-state.js';
import { SqliteStore } from '../embedded/sqlite-store.js';
import { createLogger, type Envelope, InfrastructureError, type RecordStore } from '@inflow/core';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';
import type { Subject } from '../conditions/field-path.js';
import { collect } from './collect.js';
import { Collector } from './collector.js';

/** Three requests of 100 new events each (e0-0 … e2-99, or with another prefix): more than a profile or a session remembers. */
async function busyVisit(collector: Collector, ids: { profile?: { id: string }; session?: { id: string } } = {}, prefix = 'e'): Promise<void> {
  for (let i = 0; i < 3; i++) await collector.process(envelopeFor({ ...ids, events: Array.from({ length: 100 }, (_, k) => ({ id: `${prefix}${i}-${k}`, type: 'x' })) }));
}

describe('Collector (store first, cache after) on the embedded store', () => {
  let store: SqliteStore;
  let remove: () => void;
  const logger = createLogger({ level: 'error', format: 'text' });

  beforeEach(() => {
    const temp = tempDir('collector');
    remove = temp.remove;
    store = new SqliteStore(join(temp.dir, 's.db'));
  });
  afterEach(async () => {
    await store.close();
    remove();
  });

  it('folds requests that arrive during a write into the next write, in order', async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => collector.process(envelopeFor({ events: [{ id: `e${i}`, type: i === 19 ? 'identify' : 'x', properties: { last: i } }] }))),
    );
    expect(outcomes.every((o) => o.kind === 'stored')).toBe(true);
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 20, traits: { last: 19 } });
    expect((await store.listEvents({ profileId: 'p-1', limit: 50 })).length).toBe(20);
  });

  it("passes on each profile's own event when two profiles use one event id in one write", async () => {
    const subjects: Array<{ profile: string; type: string }> = [];
    const feed = { publish: (done: readonly Subject[]) => Promise.resolve(subjects.push(...done.map((s) => ({ profile: s.profile.id, type: s.event.type })))) };
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger, feed });
    const outcomes = await collector.processAll([
      envelopeFor({ profile: { id: 'ann' }, session: { id: 's-ann' }, events: [{ id: 'shared', type: 'order' }] }),
      envelopeFor({ profile: { id: 'bob' }, session: { id: 's-bob' }, events: [{ id: 'shared', type: 'signup' }] }),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['stored', 'stored']);
    expect(subjects).toEqual([
      { profile: 'ann', type: 'order' },
      { profile: 'bob', type: 'signup' },
    ]);
    expect(await store.getProfile('bob')).toMatchObject({ eventCount: 1 });
  });

  it('builds and hands on stored events only while something listens', async () => {
    let listening = false;
    const published: string[] = [];
    const feed = { publish: (done: readonly Subject[]) => Promise.resolve(published.push(...done.map((s) => s.event.id))), listening: () => Promise.resolve(listening) };
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger, feed });
    await collector.process(envelopeFor({ events: [{ id: 'unheard', type: 'x' }] }));
    listening = true;
    await collector.process(envelopeFor({ events: [{ id: 'heard', type: 'x' }] }));
    expect(published).toEqual(['heard']);
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 2 });
  });

  it('applies a request again on the store copy when the cache was older, counting nothing twice', async () => {
    const state = new CachedProfileState(store, 100);
    const collector = new Collector({ state, store, logger });
    const first = envelopeFor({ events: [{ id: 'a', type: 'x' }] });
    await collector.process(first);
    // Another writer moved the profile on in the store while this process kept its old copy.
    const cached = await state.load(['p-1'], ['s-1']);
    const moved = collect(envelopeFor({ events: [{ id: 'b', type: 'x' }, { id: 'c', type: 'x' }] }), {
      profile: cached.profiles.get('p-1') ?? null,
      session: cached.sessions.get('s-1') ?? null,
    });
    await store.write({ profiles: [moved.profile], sessions: [moved.session], events: moved.events });

    const outcome = await collector.process(envelopeFor({ events: [{ id: 'd', type: 'x' }, { id: 'b', type: 'x' }] }));
    expect(outcome.kind).toBe('stored');
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 4, version: 3 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 4 });
    expect((await store.listEvents({ profileId: 'p-1', limit: 50 })).map((e) => e.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('counts a request delivered again after a crash that left its events stored and its profile not', async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const request = envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] });
    // What the crashed collector got done: the events, written first, and nothing more.
    const crashed = collect(request, { profile: null, session: null });
    await store.write({ profiles: [], sessions: [], events: crashed.events.map((event) => ({ ...event, countedIn: { profile: 1 } })) });

    expect(await collector.process(request)).toMatchObject({ kind: 'stored', duplicates: 0 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 2 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 2 });
  });

  it("counts nothing of a client's resend of events stored long before, beyond what the profile remembers, and counts its new events", async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    await collector.process(envelopeFor({ events: [{ id: 'first', type: 'x' }] }));
    await busyVisit(collector);
    // A new request (another id) with the first event again: 300 events later the profile no longer remembers it.
    const resend = await collector.process(envelopeFor({ events: [{ id: 'first', type: 'x' }, { id: 'new', type: 'x' }] }));
    expect(resend).toMatchObject({ kind: 'stored', duplicates: 1 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 302 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 302 });
    expect(await store.listEvents({ profileId: 'p-1', limit: 1000 })).toHaveLength(302);
  });

  it('counts nothing of a request delivered again long after it was counted, beyond what the profile remembers', async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const late = envelopeFor({ events: [{ id: 'late-a', type: 'x' }, { id: 'late-b', type: 'x' }] });
    await collector.process(late);
    // 300 events of the profile, in its next visit (a session goes by what it remembers: 256 events).
    await busyVisit(collector, { session: { id: 's-2' } });
    // The same request (its id too), as a broker delivers again what it lost the acknowledgement of.
    expect(await collector.process(late)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 302 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 2 });
    expect(await store.getSession('s-2')).toMatchObject({ eventCount: 300 });
  });

  it('counts nothing of a request delivered again after 300 further events of its own session', async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const late = envelopeFor({ events: [{ id: 'late-a', type: 'x' }, { id: 'late-b', type: 'x' }] });
    await collector.process(late);
    // A busy visit: the session forgets the request's events as the profile does.
    await busyVisit(collector);
    expect(await collector.process(late)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 302 });
    // The redelivery counted nothing: the session keeps the write that last counted in it.
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 302, profileWrites: { last: [['p-1', 4]], complete: true } });
  });

  it("counts in its session a request delivered again whose profile write landed and whose session write did not", async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    await collector.process(envelopeFor({ profile: { id: 'other' }, events: [{ id: 'o', type: 'x' }] }));
    await collector.process(envelopeFor({ events: Array.from({ length: 100 }, (_, k) => ({ id: `e${k}`, type: 'x' })) }));
    const request = envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] });
    // What the stopped collector got done: the events stamped with the profile's second write and
    // that write; the session's write lost to another writer, and nothing more.
    const profile = await store.getProfile('p-1');
    const session = await store.getSession('s-1');
    const crashed = collect(request, { profile, session });
    await store.write({ profiles: [{ ...crashed.profile, collectorWrites: 2 }], sessions: [], events: crashed.events.map((event) => ({ ...event, countedIn: { profile: 2 } })) });

    expect(await collector.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 102 });
    // Counted by the round that worked on the cached profile (its second write): the profile's
    // write refused as stale, the session's landed. The round after, on the store's copy, counted
    // nothing, so the session keeps the write that did.
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 103, profileWrites: { last: [['other', 1], ['p-1', 2]], complete: true } });
  });

  /**
   * A store whose sessions (those `recovering` takes, by default all) cannot be written while it
   * recovers (a shard not started yet): profiles, events and other sessions are.
   */
  function sessionsRecovering(recovering: (sessionId: string) => boolean = () => true): { store: RecordStore; recovered(): void } {
    let down = true;
    const wrapped: RecordStore = Object.assign(Object.create(store) as RecordStore, {
      write: async (records: Parameters<RecordStore['write']>[0]) => {
        const failing = down ? records.sessions.filter((s) => recovering(s.id)) : [];
        if (failing.length === 0) return store.write(records);
        const result = await store.write({ ...records, sessions: records.sessions.filter((s) => !recovering(s.id)) });
        result.sessions.failed.push(...failing.map((s) => ({ id: s.id, reason: 'unavailable_shards_exception', permanent: false })));
        return result;
      },
    });
    return { store: wrapped, recovered: () => (down = false) };
  }

  /**
   * Collector B has stored a first request (o1, o2) of p-1 in s-1; collector A's write of the next
   * request (a, b) stopped after its profile's: events and profile stored, the session's refused.
   */
  async function sessionWriteStopped(): Promise<{ a: Collector; b: Collector; earlier: Envelope; request: Envelope; recovered(): void }> {
    const b = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const earlier = envelopeFor({ events: [{ id: 'o1', type: 'x' }, { id: 'o2', type: 'x' }] });
    await b.process(earlier);
    const recovering = sessionsRecovering();
    const a = new Collector({ state: new CachedProfileState(store, 100), store: recovering.store, logger });
    const request = envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] });
    await expect(a.process(request)).rejects.toBeInstanceOf(InfrastructureError);
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 4, collectorWrites: 2 });
    return { a, b, earlier, request, recovered: recovering.recovered };
  }

  it("counts in its session a request whose write stopped after its profile's, though a redelivered copy of an earlier request of the profile wrote the session meanwhile", async () => {
    // B holds the lane too (a batch it kept through a broker restart, delivered again to A's side).
    const { a, b, earlier, request, recovered } = await sessionWriteStopped();
    // B applies its copy of the earlier request from its older copy of the profile: its profile
    // write loses to A's, its session write lands (and its second round's too).
    expect(await b.process(earlier)).toMatchObject({ kind: 'stored', duplicates: 2 });
    recovered();
    expect(await a.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 4 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 4 });
    expect(await store.listEvents({ sessionId: 's-1', limit: 10 })).toHaveLength(4);
  });

  it("counts in its session a request whose write stopped after its profile's, though another collector's later request of the profile wrote the session meanwhile", async () => {
    const { a, b, request, recovered } = await sessionWriteStopped();
    // B, holding the lane's next message, counts a new request of the profile in the session.
    expect(await b.process(envelopeFor({ events: [{ id: 'n1', type: 'x' }, { id: 'n2', type: 'x' }] }))).toMatchObject({ kind: 'stored', duplicates: 0 });
    recovered();
    expect(await a.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 6 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 6 });
    expect(await store.listEvents({ sessionId: 's-1', limit: 10 })).toHaveLength(6);
  });

  it('leaves a failed write\'s events to the stamps once its requests went elsewhere for two minutes: a copy long after counts nothing twice', async () => {
    const { a, b, request, recovered } = await sessionWriteStopped();
    recovered();
    // The request went to B (the lane moved): the stamps say the session did not count it yet.
    expect(await b.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 4 });
    // A busy visit: the profile and the session forget the request's events.
    await busyVisit(b);
    // A client's resend, long after (A did nothing meanwhile), comes to A: counted by neither again.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 121_000);
      expect(await a.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    } finally {
      vi.useRealTimers();
    }
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 304 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 304 });
  });

  it("keeps nothing of a request whose profile and session landed though another session of the same write failed: a retry after the marks forgot counts nothing twice", async () => {
    const recovering = sessionsRecovering((id) => id === 's-1');
    const a = new Collector({ state: new CachedProfileState(store, 100), store: recovering.store, logger });
    const first = envelopeFor({ events: [{ id: 'a', type: 'x' }] });
    const second = envelopeFor({ profile: { id: 'p-2' }, session: { id: 's-2' }, events: [{ id: 'b', type: 'x' }] });
    await expect(a.processAll([first, second])).rejects.toBeInstanceOf(InfrastructureError);
    expect(await store.getSession('s-2')).toMatchObject({ eventCount: 1 });
    // While s-1 recovers, another collector's busy visit on s-2: its marks forget "b".
    const b = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    await busyVisit(b, { profile: { id: 'p-2' }, session: { id: 's-2' } });
    recovering.recovered();
    expect(await a.processAll([first, second])).toMatchObject([{ kind: 'stored', duplicates: 1 }, { kind: 'stored', duplicates: 1 }]);
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 1 });
    expect(await store.getProfile('p-2')).toMatchObject({ eventCount: 301 });
    expect(await store.getSession('s-2')).toMatchObject({ eventCount: 301 });
  });

  it('keeps nothing of a write whose profile and session landed before the cache failed: a resend after the marks forgot counts nothing twice', async () => {
    const cache = new CachedProfileState(store, 100);
    let failSave = true;
    const state = Object.assign(Object.create(cache) as CachedProfileState, {
      save: (...args: Parameters<CachedProfileState['save']>) => {
        if (!failSave) return cache.save(...args);
        failSave = false;
        return Promise.reject(new InfrastructureError('cache', 'connection lost'));
      },
    });
    const collector = new Collector({ state, store, logger });
    const request = envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] });
    await expect(collector.process(request)).rejects.toBeInstanceOf(InfrastructureError);
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 2 });
    // The batch goes on to another collector; this one's session marks then forget the request.
    const other = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    expect(await other.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    await busyVisit(other);
    expect(await collector.process(request)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 302 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 302 });
  });

  it("counts in its session a client's resend of events whose first request stopped before its profile's write", async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    await collector.process(envelopeFor({ events: [{ id: 'before', type: 'x' }] }));
    const first = envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] });
    const crashed = collect(first, { profile: await store.getProfile('p-1'), session: await store.getSession('s-1') });
    await store.write({ profiles: [], sessions: [], events: crashed.events.map((event) => ({ ...event, countedIn: { profile: 2 } })) });
    // The client got no answer and sends both again in a request of its own.
    expect(await collector.process(envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] }))).toMatchObject({ kind: 'stored', duplicates: 0 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 3 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 3 });
    // And the first request comes back after all: counted by the resend, in both.
    expect(await collector.process(first)).toMatchObject({ kind: 'stored', duplicates: 2 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 3 });
  });

  it("counts nothing twice in a session written before sessions recorded their profiles' writes", async () => {
    await new Collector({ state: new CachedProfileState(store, 100), store, logger }).process(envelopeFor({ profile: { id: 'p' }, session: { id: 's' }, events: [{ id: 'e', type: 'x' }] }));
    // As an older version left it: no record of profile writes.
    const { profileWrites, ...older } = (await store.getSession('s')) ?? expect.fail('no session');
    expect(profileWrites).toEqual({ last: [['p', 1]], complete: true });
    await store.write({ profiles: [], sessions: [{ ...older, version: older.version + 1 }], events: [] });
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    // Another profile's 300 events in it: its record begins now, without p.
    await busyVisit(collector, { profile: { id: 'q' }, session: { id: 's' } }, 'q');
    expect((await store.getSession('s'))?.profileWrites).toEqual({ last: [['q', 3]], complete: false });
    // The client resends p's event in a request of its own.
    expect(await collector.process(envelopeFor({ profile: { id: 'p' }, session: { id: 's' }, events: [{ id: 'e', type: 'x' }] }))).toMatchObject({ kind: 'stored', duplicates: 1 });
    expect(await store.getSession('s')).toMatchObject({ eventCount: 301 });
    expect(await store.getProfile('p')).toMatchObject({ eventCount: 1 });
  });

  it('keeps the writes of the 16 profiles a session saw last', async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    for (let i = 0; i < 20; i++) await collector.process(envelopeFor({ profile: { id: `p${i}` }, session: { id: 'kiosk' }, events: [{ id: `k${i}`, type: 'x' }] }));
    const writes = (await store.getSession('kiosk'))?.profileWrites;
    expect(writes?.last.map(([id]) => id)).toEqual(Array.from({ length: 16 }, (_, i) => `p${i + 4}`));
    expect(writes?.complete).toBe(false);
    expect(await store.getSession('kiosk')).toMatchObject({ eventCount: 20 });
  });

  it("counts once an event whose first request stopped before its profile's write, resent by the client, then delivered again itself", async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const first = envelopeFor({ events: [{ id: 'a', type: 'x' }] });
    const crashed = collect(first, { profile: null, session: null });
    await store.write({ profiles: [], sessions: [], events: crashed.events.map((event) => ({ ...event, countedIn: { profile: 1 } })) });
    // The client got no answer and sends the event again, in a request of its own: it counts there.
    expect(await collector.process(envelopeFor({ events: [{ id: 'a', type: 'x' }] }))).toMatchObject({ kind: 'stored', duplicates: 0 });
    await busyVisit(collector);
    // The first request comes back, far past what the profile remembers: counted by the resend.
    expect(await collector.process(first)).toMatchObject({ kind: 'stored', duplicates: 1 });
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 301 });
    expect(await store.getSession('s-1')).toMatchObject({ eventCount: 301 });
    expect(await store.listEvents({ profileId: 'p-1', limit: 1000 })).toHaveLength(301);
  });

  it('counts an event once when two requests of one write carry it', async () => {
    const collector = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    await collector.process(envelopeFor({ events: Array.from({ length: 300 }, (_, k) => ({ id: `before-${k}`, type: 'x' })) }));
    const outcomes = await collector.processAll([
      envelopeFor({ events: [{ id: 'twice', type: 'x' }] }),
      envelopeFor({ events: [{ id: 'twice', type: 'x' }, { id: 'once', type: 'x' }] }),
    ]);
    expect(outcomes).toMatchObject([{ duplicates: 0 }, { duplicates: 1 }]);
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 302 });
  });

  it('rejects the whole write with InfrastructureError when the store is down, and stores it once it is back', async () => {
    let down = true;
    const flaky: RecordStore = Object.assign(Object.create(store) as RecordStore, {
      write: (records: Parameters<RecordStore['write']>[0]) => (down ? Promise.reject(new InfrastructureError('store', 'connection refused')) : store.write(records)),
    });
    const collector = new Collector({ state: new CachedProfileState(store, 100), store: flaky, logger });
    const envelope = envelopeFor({ events: [{ id: 'z', type: 'x' }] });
    await expect(collector.process(envelope)).rejects.toBeInstanceOf(InfrastructureError);
    expect(await store.getProfile('p-1')).toBeNull();
    down = false;
    expect((await collector.process(envelope)).kind).toBe('stored');
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 1 });
  });

  it('never lets a write that folds several requests overwrite the update another writer made to the same session', async () => {
    const a = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    const b = new Collector({ state: new CachedProfileState(store, 100), store, logger });
    await a.process(envelopeFor({ profile: { id: 'pa' }, session: { id: 'shared' }, events: [{ id: 'w', type: 'x' }] }));
    // B moves the shared session on while A still holds the first version.
    await b.process(envelopeFor({ profile: { id: 'pb' }, session: { id: 'shared' }, events: [{ id: 'z', type: 'x' }] }));
    await a.processAll([
      envelopeFor({ profile: { id: 'pa' }, session: { id: 'shared' }, events: [{ id: 'x', type: 'x' }] }),
      envelopeFor({ profile: { id: 'pa' }, session: { id: 'shared' }, events: [{ id: 'y', type: 'x' }] }),
    ]);
    expect(await store.getSession('shared')).toMatchObject({ eventCount: 4 });
    expect((await store.listEvents({ sessionId: 'shared', limit: 10 })).length).toBe(4);
    expect(await store.getProfile('pa')).toMatchObject({ eventCount: 3 });
  });
});
