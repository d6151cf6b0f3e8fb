import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../collector/collect.js';
import { createLogger, eventKey, type EventRecord, type ProfileRecord } from '@inflow/core';
import { envelopeFor } from '../../test-support/fixtures.js';
import { requiredEnv } from '../../test-support/services.js';
import { ElasticStore, indexSettings, RETRY_ACROSS_MIDNIGHT_MS, SEARCH_IDLE_AFTER } from './elastic-store.js';

const prefix = `it${Date.now().toString(36)}`;

describe('ElasticStore against a real Elasticsearch', () => {
  let store: ElasticStore;
  beforeAll(async () => {
    store = new ElasticStore({ url: requiredEnv('INFLOW_ELASTICSEARCH_URL'), indexPrefix: prefix, bulkAttempts: 3, maxBulkBytes: 4_000, logger: createLogger({ level: 'warn', format: 'text' }) });
    await store.init();
    await store.init(); // a second start finds everything in place
  });
  afterAll(async () => {
    // Deleting by wildcard is refused by default (destructive_requires_name): name each index.
    const indices = Object.keys(await store.client.indices.get({ index: `${prefix}-*` }));
    await store.client.indices.delete({ index: indices });
    await store.close();
  });

  const refresh = () => store.client.indices.refresh({ index: `${prefix}-*` });

  it('stores profiles, sessions and events idempotently, in several bulks when large, and never lets an old version win', async () => {
    const v1 = collect(envelopeFor({ profile: { id: 'es-p' }, session: { id: 'es-s' }, events: [{ id: 'es-e1', type: 'a', properties: { pad: 'x'.repeat(1500) } }] }), { profile: null, session: null });
    const v2 = collect(envelopeFor({ profile: { id: 'es-p' }, session: { id: 'es-s' }, events: [{ id: 'es-e2', type: 'b', properties: { pad: 'y'.repeat(1500) } }, { id: 'es-e3', type: 'c' }] }), v1);
    const first = await store.write({ profiles: [v2.profile], sessions: [v2.session], events: [...v1.events, ...v2.events] });
    expect(first).toEqual({ profiles: { saved: 1, stale: 0, staleIds: [], failed: [] }, sessions: { saved: 1, stale: 0, staleIds: [], failed: [] }, events: { saved: 3, stale: 0, staleIds: [], failed: [] } });
    const again = await store.write({ profiles: [v1.profile], sessions: [v1.session], events: v2.events });
    expect(again).toEqual({ profiles: { saved: 0, stale: 1, staleIds: ['es-p'], failed: [] }, sessions: { saved: 0, stale: 1, staleIds: ['es-s'], failed: [] }, events: { saved: 0, stale: 2, staleIds: [eventKey('es-p', 'es-e2'), eventKey('es-p', 'es-e3')], failed: [] } });
    // What a stored event's copy says: the request that stored it, its session, the writes that count it.
    const stamped = { ...(v2.events[0] as EventRecord), id: 'es-stamped', countedIn: { profile: 4 } };
    await store.write({ profiles: [], sessions: [], events: [stamped] });
    const copies = await store.storedCopies([stamped, v2.events[1] as EventRecord, { ...stamped, id: 'es-never' }]);
    expect(Object.fromEntries(copies)).toEqual({
      [eventKey('es-p', 'es-stamped')]: { requestId: v2.requestId, sessionId: 'es-s', countedIn: { profile: 4 } },
      [eventKey('es-p', 'es-e3')]: { requestId: v2.requestId, sessionId: 'es-s', countedIn: undefined },
    });
    // The cold-read path: one multi-get sees the newest stored versions, refreshed or not.
    expect([...(await store.getProfiles(['es-p', 'missing'])).values()].map((p) => p.version)).toEqual([2]);
    expect([...(await store.getSessions(['es-s'])).keys()]).toEqual(['es-s']);
    expect((await store.getProfile('es-p'))?.version).toBe(2);
    expect((await store.getSession('es-s'))?.eventCount).toBe(3);
    await refresh();
    expect((await store.listEvents({ profileId: 'es-p', limit: 10 })).map((e) => e.id).sort()).toEqual(['es-e1', 'es-e2', 'es-e3', 'es-stamped']);
    expect((await store.getEvent('es-e2'))?.type).toBe('b');
    expect((await store.listSessions('es-p', 5)).map((s) => s.id)).toEqual(['es-s']);
  });

  it('stores an event once per profile: the same id in another profile is another event, its redelivery is not', async () => {
    const a = collect(envelopeFor({ profile: { id: 'es-a' }, session: { id: 'es-sa' }, events: [{ id: 'shared-id', type: 'order', time: '2026-11-20T10:00:00Z' }] }), { profile: null, session: null });
    const b = collect(envelopeFor({ profile: { id: 'es-b' }, session: { id: 'es-sb' }, events: [{ id: 'shared-id', type: 'signup', time: '2026-11-20T11:00:00Z' }] }), { profile: null, session: null });
    expect((await store.write({ profiles: [], sessions: [], events: a.events })).events.saved).toBe(1);
    expect((await store.write({ profiles: [], sessions: [], events: b.events })).events.saved).toBe(1);
    expect((await store.write({ profiles: [], sessions: [], events: b.events })).events).toMatchObject({ saved: 0, stale: 1 });
    await refresh();
    expect((await store.listEvents({ profileId: 'es-a', limit: 10 })).map((e) => e.type)).toEqual(['order']);
    expect((await store.listEvents({ profileId: 'es-b', limit: 10 })).map((e) => e.type)).toEqual(['signup']);
    // Looked up by id alone: the newest of the two.
    expect((await store.getEvent('shared-id'))?.type).toBe('signup');
  });

  it('stores once an event placed by when it was received whose retry crossed a UTC midnight (either way), within RETRY_ACROSS_MIDNIGHT_MS', async () => {
    const attempt = (id: string, receivedAt: string, profile = 'es-midnight'): EventRecord => {
      const [event] = collect(envelopeFor({ profile: { id: profile }, session: { id: `${profile}-s` }, events: [{ id, type: 'x' }] }, { receivedAt: Date.parse(receivedAt) }), { profile: null, session: null }).events;
      return event as EventRecord;
    };
    // No time of its own: placed by the time received. The retry comes two minutes after midnight.
    const first = attempt('late-night', '2026-11-23T23:59:30.000Z');
    expect((await store.write({ profiles: [], sessions: [], events: [first] })).events.saved).toBe(1);
    const retry = attempt('late-night', '2026-11-24T00:02:00.000Z');
    expect((await store.write({ profiles: [], sessions: [], events: [retry] })).events).toEqual({ saved: 0, stale: 1, staleIds: [eventKey('es-midnight', 'late-night')], failed: [] });
    // Who stored it is read from the day before's index, as for a copy in its own day's.
    expect(await store.storedCopies([retry])).toEqual(new Map([[eventKey('es-midnight', 'late-night'), { requestId: first.requestId, sessionId: 'es-midnight-s', countedIn: undefined }]]));
    // Through an edge whose clock is behind: the retry is received before midnight, the first attempt after it.
    const ahead = attempt('early', '2026-11-25T00:00:10.000Z');
    expect((await store.write({ profiles: [], sessions: [], events: [ahead] })).events.saved).toBe(1);
    const behind = attempt('early', '2026-11-24T23:59:55.000Z');
    const fresh = attempt('fresh-next-to-it', '2026-11-24T23:59:55.000Z');
    expect((await store.write({ profiles: [], sessions: [], events: [behind, fresh] })).events).toEqual({ saved: 1, stale: 1, staleIds: [eventKey('es-midnight', 'early')], failed: [] });
    // Both attempts in one write (a collector that fell behind): the first is created, the other not.
    const both = [attempt('both', '2026-11-23T23:59:59.000Z'), attempt('both', '2026-11-24T00:00:05.000Z')];
    expect((await store.write({ profiles: [], sessions: [], events: both })).events).toEqual({ saved: 1, stale: 1, staleIds: [eventKey('es-midnight', 'both')], failed: [] });
    // The same id in another profile is another event, next door too.
    expect((await store.write({ profiles: [], sessions: [], events: [attempt('late-night', '2026-11-24T00:02:00.000Z', 'es-midnight-other')] })).events.saved).toBe(1);
    // Past the window (a retry hours later) it is stored again: the bound this check keeps to.
    const morning = attempt('late-night', new Date(Date.parse('2026-11-24T00:00:00.000Z') + RETRY_ACROSS_MIDNIGHT_MS + 60_000).toISOString());
    expect((await store.write({ profiles: [], sessions: [], events: [morning] })).events.saved).toBe(1);
    await refresh();
    expect((await store.listEvents({ profileId: 'es-midnight', limit: 10 })).map((e) => `${e.id} ${e.time.slice(0, 10)}`).sort()).toEqual([
      'both 2026-11-23',
      'early 2026-11-25',
      'fresh-next-to-it 2026-11-24',
      'late-night 2026-11-23',
      'late-night 2026-11-24',
    ]);
  });

  it('stores an event near midnight again, with a warning, when the index next door cannot be read (closed), instead of failing the write', async () => {
    const warnings: string[] = [];
    const watched = new ElasticStore({ url: requiredEnv('INFLOW_ELASTICSEARCH_URL'), indexPrefix: prefix, bulkAttempts: 3, maxBulkBytes: 4_000, logger: createLogger({ level: 'warn', format: 'text', sink: (line) => warnings.push(line) }) });
    const attempt = (receivedAt: string): EventRecord =>
      collect(envelopeFor({ profile: { id: 'es-closed' }, session: { id: 'es-closed-s' }, events: [{ id: 'c', type: 'x' }] }, { receivedAt: Date.parse(receivedAt) }), { profile: null, session: null }).events[0] as EventRecord;
    expect((await watched.write({ profiles: [], sessions: [], events: [attempt('2026-11-27T23:59:50.000Z')] })).events.saved).toBe(1);
    await store.client.indices.close({ index: `${prefix}-events-2026.11.27` });
    expect((await watched.write({ profiles: [], sessions: [], events: [attempt('2026-11-28T00:00:20.000Z')] })).events.saved).toBe(1);
    expect(warnings.join('\n')).toMatch(/1 events near midnight are stored without knowing whether the next day's index \(the day before's\) holds them already: c \(index_closed_exception\)/);
    await watched.close();
  });

  it('stores a session whose client address is 40 KB (kept, not indexed) instead of refusing it', async () => {
    const huge = collect(envelopeFor({ profile: { id: 'es-ip' }, session: { id: 'es-ip-s' }, events: [{ id: 'es-ip-e', type: 'a' }] }, { meta: { ip: '9'.repeat(40_000) } }), { profile: null, session: null });
    const result = await store.write({ profiles: [huge.profile], sessions: [huge.session], events: huge.events });
    expect(result.sessions).toEqual({ saved: 1, stale: 0, staleIds: [], failed: [] });
  });

  it('takes thousands of distinct property keys without hitting the field limit', async () => {
    const events = Array.from({ length: 40 }, (_, i) => ({
      id: `wide-${i}`,
      type: 'wide',
      properties: Object.fromEntries(Array.from({ length: 60 }, (_, k) => [`key_${i}_${k}`, { nested: { deep: k } }])),
      context: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`ctx_${i}_${k}`, `v${k}`])),
    }));
    const batch = collect(envelopeFor({ profile: { id: 'wide-p' }, events }), { profile: null, session: null });
    const result = await store.write({ profiles: [], sessions: [], events: batch.events });
    expect(result.events).toEqual({ saved: 40, stale: 0, staleIds: [], failed: [] });
    await refresh();
    const mapping = await store.client.indices.getMapping({ index: `${prefix}-events-*` });
    const fields = Object.values(mapping).flatMap((index) => Object.keys(index.mappings.properties ?? {}));
    expect(fields).not.toContain('key_0_0');
  });

  it('fails a document that can never be indexed permanently, with the reason, and stores the rest of the bulk', async () => {
    const good = collect(envelopeFor({ profile: { id: 'good-p' }, events: [] }), { profile: null, session: null });
    const bad = { ...good.profile, id: 'bad-p', visits: 'many' } as unknown as ProfileRecord;
    const result = await store.write({ profiles: [good.profile, bad], sessions: [], events: [] });
    expect(result.profiles.saved).toBe(1);
    expect(result.profiles.failed).toHaveLength(1);
    expect(result.profiles.failed[0]).toMatchObject({ id: 'bad-p', permanent: true });
    expect(result.profiles.failed[0]?.reason).toContain('400 document_parsing_exception');
  });

  it('leaves the refresh to Elasticsearch: none while nobody searches, and a search of an idle index still sees what was written a second before it', async () => {
    const settings = await store.client.indices.getSettings({ index: `${prefix}-profiles,${prefix}-sessions,${prefix}-events-*`, flat_settings: true });
    for (const [index, { settings: flat }] of Object.entries(settings)) {
      expect([index, flat?.['index.search.idle.after'], flat?.['index.refresh_interval']]).toEqual([index, SEARCH_IDLE_AFTER, undefined]);
    }
    const one = collect(envelopeFor({ profile: { id: 'idle-p1' }, session: { id: 'idle-s1' }, events: [{ id: 'idle-e1', type: 'a', time: '2026-11-20T10:00:00Z' }] }), { profile: null, session: null });
    await store.write({ profiles: [one.profile], sessions: [one.session], events: one.events });
    // Past the idle time, no refresh runs; the write after it is found by the next search all the same.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const two = collect(envelopeFor({ profile: { id: 'idle-p2' }, session: { id: 'idle-s2' }, events: [{ id: 'idle-e2', type: 'a', time: '2026-11-20T10:00:00Z' }] }), { profile: null, session: null });
    await store.write({ profiles: [two.profile], sessions: [two.session], events: two.events });
    // The next second's refresh tick notes the write, and the first search waits for its refresh.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const found = await store.client.search<{ id: string }>({ index: `${prefix}-profiles`, query: { prefix: { id: 'idle-' } }, size: 10 });
    expect(found.hits.hits.map((hit) => hit._source?.id).sort()).toEqual(['idle-p1', 'idle-p2']);
    expect((await store.listEvents({ profileId: 'idle-p2', limit: 5 })).map((e) => e.id)).toEqual(['idle-e2']);
    // A refresh interval set explicitly is set as it is, on the indices made before too; 'auto' takes it back.
    expect(indexSettings('5s')).toEqual({ number_of_replicas: 0, refresh_interval: '5s' });
    const upgraded = `${prefix}up`;
    const refreshOf = async (): Promise<Array<[string | undefined, string | undefined]>> => {
      const found = await store.client.indices.getSettings({ index: `${upgraded}-profiles,${upgraded}-sessions,${upgraded}-sources`, flat_settings: true });
      return Object.values(found).map(({ settings: flat }) => [flat?.['index.refresh_interval'] as string | undefined, flat?.['index.search.idle.after'] as string | undefined]);
    };
    const logger = createLogger({ level: 'error', format: 'text' });
    for (const [refreshInterval, expected] of [['1s', ['1s', undefined]], ['30s', ['30s', undefined]], ['auto', [undefined, SEARCH_IDLE_AFTER]]] as const) {
      const other = new ElasticStore({ url: requiredEnv('INFLOW_ELASTICSEARCH_URL'), indexPrefix: upgraded, bulkAttempts: 1, maxBulkBytes: 4_000, refreshInterval, logger });
      await other.init();
      await other.close();
      expect([refreshInterval, await refreshOf()]).toEqual([refreshInterval, [expected, expected, expected]]);
    }
    const made = Object.keys(await store.client.indices.get({ index: `${upgraded}-*` }));
    await store.client.indices.delete({ index: made });
  });

  it('keeps sources', async () => {
    const source = { id: 'es-web', name: 'Web', enabled: true, allowedOrigins: ['*'], createdAt: '2026-11-23T10:00:00.000Z', updatedAt: '2026-11-23T10:00:00.000Z' };
    await store.putSource(source);
    expect(await store.getSource('es-web')).toEqual(source);
    expect((await store.listSources()).map((s) => s.id)).toContain('es-web');
  });
});
