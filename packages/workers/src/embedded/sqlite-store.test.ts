import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { eventKey, type EventRecord, InfrastructureError, type SessionRecord } from '@inflow/core';
import { collect } from '../collector/collect.js';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';
import { SqliteStore } from './sqlite-store.js';

describe('SqliteStore', () => {
  let store: SqliteStore;
  let file: string;
  let remove: () => void;
  beforeEach(() => {
    const temp = tempDir('store');
    remove = temp.remove;
    file = join(temp.dir, 'store.db');
    store = new SqliteStore(file);
  });
  afterEach(async () => {
    await store.close();
    remove();
  });

  it('stores records and reads them back by id, profile and session', async () => {
    const one = collect(envelopeFor({ events: [{ id: 'e1', type: 'a', time: '2026-01-01T00:00:01Z' }] }), { profile: null, session: null });
    const two = collect(envelopeFor({ events: [{ id: 'e2', type: 'b', time: '2026-01-01T00:00:02Z' }] }), one);
    const result = await store.write({ profiles: [two.profile], sessions: [two.session], events: [...one.events, ...two.events] });
    expect(result.events).toEqual({ saved: 2, stale: 0, staleIds: [], failed: [] });
    expect(await store.getProfile('p-1')).toEqual(two.profile);
    expect(await store.getSession('s-1')).toEqual(two.session);
    expect((await store.listSessions('p-1', 10)).map((s) => s.id)).toEqual(['s-1']);
    expect((await store.listEvents({ profileId: 'p-1', limit: 10 })).map((e) => e.id)).toEqual(['e2', 'e1']);
    expect((await store.listEvents({ sessionId: 's-1', limit: 1 })).map((e) => e.id)).toEqual(['e2']);
    expect(await store.getEvent('e1')).toEqual(one.events[0]);
    expect(await store.getEvent('nope')).toBeNull();
  });

  it('lists a profile\'s sessions by their start, also once a late event moved a start earlier', async () => {
    const older = collect(envelopeFor({ session: { id: 's-old' }, events: [{ id: 'o', type: 'a', time: '2026-11-22T08:00:00Z' }] }), { profile: null, session: null });
    const newer = collect(envelopeFor({ session: { id: 's-new' }, events: [{ id: 'n', type: 'a', time: '2026-11-22T09:00:00Z' }] }), { profile: older.profile, session: null });
    await store.write({ profiles: [newer.profile], sessions: [older.session, newer.session], events: [] });
    expect((await store.listSessions('p-1', 10)).map((s) => s.id)).toEqual(['s-new', 's-old']);
    // An event from before both (an offline queue sent late) joins the newer session: it now started first.
    const late = collect(envelopeFor({ session: { id: 's-new' }, events: [{ id: 'l', type: 'a', time: '2026-11-22T07:00:00Z' }] }), { profile: newer.profile, session: newer.session });
    expect(late.session.startedAt).toBe('2026-11-22T07:00:00.000Z');
    await store.write({ profiles: [late.profile], sessions: [late.session], events: [] });
    expect((await store.listSessions('p-1', 10)).map((s) => [s.id, s.startedAt])).toEqual([
      ['s-old', '2026-11-22T08:00:00.000Z'],
      ['s-new', '2026-11-22T07:00:00.000Z'],
    ]);
  });

  it('stores an event once per profile: the same id in another profile is another event, its redelivery is not', async () => {
    const a = collect(envelopeFor({ profile: { id: 'a' }, session: { id: 'sa' }, events: [{ id: 'shared-id', type: 'order', time: '2026-11-20T10:00:00Z' }] }), { profile: null, session: null });
    const b = collect(envelopeFor({ profile: { id: 'b' }, session: { id: 'sb' }, events: [{ id: 'shared-id', type: 'signup', time: '2026-11-20T11:00:00Z' }] }), { profile: null, session: null });
    expect((await store.write({ profiles: [], sessions: [], events: a.events })).events.saved).toBe(1);
    expect((await store.write({ profiles: [], sessions: [], events: b.events })).events.saved).toBe(1);
    expect((await store.write({ profiles: [], sessions: [], events: b.events })).events).toMatchObject({ saved: 0, stale: 1 });
    expect((await store.listEvents({ profileId: 'a', limit: 10 })).map((e) => e.type)).toEqual(['order']);
    expect((await store.listEvents({ profileId: 'b', limit: 10 })).map((e) => e.type)).toEqual(['signup']);
    expect((await store.getEvent('shared-id'))?.type).toBe('signup');
  });

  it('moves the events of a file keyed by event id alone (made by an older version) to the table keyed by profile and id', async () => {
    await store.close();
    const old = new Database(file);
    old.exec(`DROP TABLE events;
      CREATE TABLE events (id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, session_id TEXT NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL, data TEXT NOT NULL);
      CREATE INDEX events_by_profile ON events (profile_id, time);
      CREATE INDEX events_by_session ON events (session_id, time);`);
    const kept = collect(envelopeFor({ profile: { id: 'a' }, session: { id: 'sa' }, events: [{ id: 'old-event', type: 'order', time: '2026-11-20T10:00:00Z' }] }), { profile: null, session: null });
    const event = kept.events[0] as EventRecord;
    old.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)').run(event.id, event.profileId, event.sessionId, event.type, event.time, JSON.stringify(event));
    old.close();
    store = new SqliteStore(file);
    expect(await store.getEvent('old-event')).toEqual(event);
    expect((await store.listEvents({ profileId: 'a', limit: 10 })).map((e) => e.id)).toEqual(['old-event']);
    // Its redelivery is still recognised, and the id is free for another profile.
    expect((await store.write({ profiles: [], sessions: [], events: kept.events })).events).toMatchObject({ saved: 0, stale: 1 });
    const other = collect(envelopeFor({ profile: { id: 'b' }, session: { id: 'sb' }, events: [{ id: 'old-event', type: 'signup' }] }), { profile: null, session: null });
    expect((await store.write({ profiles: [], sessions: [], events: other.events })).events.saved).toBe(1);
    const indexes = new Database(file, { readonly: true });
    const names = indexes.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all().map((row) => row.name);
    indexes.close();
    expect(names).toEqual(expect.arrayContaining(['events_by_profile', 'events_by_session', 'events_by_id']));
  });

  it('never lets an older profile or session version overwrite a newer one', async () => {
    const v1 = collect(envelopeFor({ events: [] }), { profile: null, session: null });
    const v2 = collect(envelopeFor({ events: [{ id: 'x', type: 'y' }] }), v1);
    await store.write({ profiles: [v2.profile], sessions: [v2.session], events: [] });
    const result = await store.write({ profiles: [v1.profile], sessions: [v1.session], events: [] });
    expect(result.profiles).toEqual({ saved: 0, stale: 1, staleIds: ['p-1'], failed: [] });
    expect(result.sessions).toEqual({ saved: 0, stale: 1, staleIds: ['s-1'], failed: [] });
    expect((await store.getProfile('p-1'))?.version).toBe(2);
  });

  it('stores an event once however often it is written, names it as stored before, and tells what its copy says', async () => {
    const batch = collect(envelopeFor({ events: [{ id: 'same', type: 'a' }] }), { profile: null, session: null });
    const stamped = batch.events.map((event) => ({ ...event, countedIn: { profile: 3 } }));
    await store.write({ profiles: [], sessions: [], events: stamped });
    const again = await store.write({ profiles: [], sessions: [], events: batch.events });
    expect(again.events).toEqual({ saved: 0, stale: 1, staleIds: [eventKey('p-1', 'same')], failed: [] });
    expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
    const copies = await store.storedCopies([...batch.events, { ...(batch.events[0] as EventRecord), id: 'never-stored' }]);
    expect([...copies]).toEqual([[eventKey('p-1', 'same'), { requestId: batch.requestId, sessionId: 's-1', countedIn: { profile: 3 } }]]);
  });

  it('keeps sources', async () => {
    const source = { id: 'web', name: 'Web', enabled: true, allowedOrigins: ['*'], createdAt: 'c', updatedAt: 'u' };
    await store.putSource(source);
    await store.putSource({ ...source, enabled: false });
    expect(await store.getSource('web')).toEqual({ ...source, enabled: false });
    expect(await store.listSources()).toHaveLength(1);
  });

  it('commits writes handed to its writer thread before close, many callers in one transaction, readable at once', async () => {
    const batches = Array.from({ length: 20 }, (_, i) => collect(envelopeFor({ profile: { id: `p${i}` }, session: { id: `s${i}` }, events: [{ id: `e${i}`, type: 'a' }] }), { profile: null, session: null }));
    const writes = batches.map((batch) => store.write({ profiles: [batch.profile], sessions: [batch.session], events: batch.events }));
    // Written by the thread's connection, read through this one as soon as each write settles.
    const first = await writes[0];
    expect(first?.events.saved).toBe(1);
    expect(await store.getEvent('e0')).not.toBeNull();
    const closing = store.close();
    expect((await Promise.all(writes)).map((result) => result.profiles.saved)).toEqual(batches.map(() => 1));
    await closing;
    const reopened = new SqliteStore(file);
    try {
      expect(await reopened.listEvents({ limit: 100 })).toHaveLength(20);
      expect((await reopened.getProfiles(batches.map((batch) => batch.profile.id))).size).toBe(20);
    } finally {
      await reopened.close();
      store = reopened;
    }
  });

  it('rejects a write the file refuses with InfrastructureError and writes none of it', async () => {
    const batch = collect(envelopeFor({ events: [{ id: 'kept-out', type: 'a' }] }), { profile: null, session: null });
    // Untyped callers aside, only the disk refuses writes: a session without a profile stands in for it (NOT NULL).
    const broken = { ...batch.session, profileId: null } as unknown as SessionRecord;
    const failed = store.write({ profiles: [batch.profile], sessions: [broken], events: batch.events });
    await expect(failed).rejects.toBeInstanceOf(InfrastructureError);
    await expect(failed).rejects.toThrow(/sqlite: NOT NULL constraint failed/);
    expect(await store.getEvent('kept-out')).toBeNull();
    expect(await store.getProfile(batch.profile.id)).toBeNull();
    expect((await store.write({ profiles: [batch.profile], sessions: [batch.session], events: batch.events })).events.saved).toBe(1);
  });

  it('replaces a writer thread that died: the write it held fails, the next one is stored', async () => {
    const first = collect(envelopeFor({ events: [{ id: 'before', type: 'a' }] }), { profile: null, session: null });
    await store.write({ profiles: [first.profile], sessions: [first.session], events: first.events });
    // What an out-of-memory end of the thread looks like from here.
    const thread: unknown = Reflect.get(Reflect.get(store, 'writer') as object, 'worker');
    if (!(thread instanceof Worker)) throw new Error('the store has no writer thread after a write');
    const second = collect(envelopeFor({ events: [{ id: 'lost', type: 'a' }] }), first);
    const held = store.write({ profiles: [second.profile], sessions: [second.session], events: second.events });
    await thread.terminate();
    await expect(held).rejects.toBeInstanceOf(InfrastructureError);
    const retried = await store.write({ profiles: [second.profile], sessions: [second.session], events: second.events });
    expect(retried.events.saved).toBe(1);
    expect((await store.listEvents({ limit: 10 })).map((event) => event.id).sort()).toEqual(['before', 'lost']);
  });

  it('refuses writes once closed, without starting a writer thread', async () => {
    await store.close();
    const batch = collect(envelopeFor({ events: [{ id: 'too-late', type: 'a' }] }), { profile: null, session: null });
    await expect(store.write({ profiles: [batch.profile], sessions: [batch.session], events: batch.events })).rejects.toThrow(/the store is closed/);
    expect(Reflect.get(store, 'writer')).toBeUndefined();
  });
});
