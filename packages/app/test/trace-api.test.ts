import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type TraceEntry } from '@inflow/core';
import { RedisStatsBoard } from '../../workers/src/distributed/redis/redis-stats-board.js';
import { RedisTraceStore } from '../../workers/src/distributed/redis/redis-trace-store.js';
import { requiredEnv } from '../../workers/src/test-support/services.js';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

type Trace = { entries: Array<Omit<TraceEntry, 'at'> & { at: string }> };
type ErrorBody = { error: { code: string; message: string } };
type Backlogs = { topics: Array<{ topic: string; total: number; backlog: unknown[]; deadLetters: number }> };

describe.each(ENGINES)('traces, backlog and stats on the %s engine', (engine) => {
  let app: TestInflow;
  let env: Record<string, string>;
  beforeAll(async () => {
    env = engineEnv(engine);
    app = await startInflow({ ...env, INFLOW_TRACE_TTL_SECONDS: '600', INFLOW_STATS_INTERVAL_MS: '200' });
  });
  afterAll(() => app.close());

  it('follows events sent to /track through every stage, by event, request and profile', async () => {
    const profile = `tr-${engine}`;
    const inPlace = await app.track({ source: { id: 'demo' }, profile: { id: profile }, events: [{ type: 'page-view' }, { type: 'signup' }] });
    expect(inPlace.status).toBe(200);
    const [first = '', second = ''] = ((await inPlace.json()) as { events: string[] }).events;
    const queued = await app.track({ source: { id: 'demo' }, profile: { id: profile }, events: [{ type: 'later' }], options: { queue: true } });
    expect(queued.status).toBe(201);
    const [third = ''] = ((await queued.json()) as { events: string[] }).events;

    const done = (body: Trace): boolean => ['edge', 'stored'].every((stage) => body.entries.some((entry) => entry.stage === stage));
    const trace = await app.eventually<Trace>(`/events/${first}/trace`, done);
    expect(trace.entries.find((entry) => entry.stage === 'edge')).toMatchObject({ role: 'edge', profileId: profile, eventIds: [first] });
    expect(trace.entries.find((entry) => entry.stage === 'stored')).toMatchObject({ role: 'collector', eventIds: [first] });
    expect(trace.entries.map((entry) => Date.parse(entry.at))).toEqual(trace.entries.map((entry) => Date.parse(entry.at)).sort((a, b) => a - b));

    const { requestId } = await app.eventually<{ requestId: string }>(`/events/${second}`, () => true);
    const request = await app.eventually<Trace>(`/requests/${requestId}/trace`, done);
    expect(request.entries.every((entry) => entry.requestId === requestId)).toBe(true);
    expect(request.entries.find((entry) => entry.stage === 'stored')?.eventIds).toEqual(expect.arrayContaining([first, second]));

    // A queued request has one edge entry, `queued` (received, then confirmed by the queue), where one stored in place has `edge`.
    const later = await app.eventually<Trace>(`/events/${third}/trace`, (body) => ['queued', 'stored'].every((stage) => body.entries.some((entry) => entry.stage === stage)));
    expect(later.entries.some((entry) => entry.stage === 'edge')).toBe(false);
    expect(later.entries.map((entry) => entry.stage).indexOf('queued')).toBeLessThan(later.entries.map((entry) => entry.stage).indexOf('stored'));
    const newest = await app.eventually<Trace>(`/profiles/${profile}/trace?limit=1`, (body) => body.entries.length === 1);
    expect(newest.entries[0]?.profileId).toBe(profile);
  });

  it('answers 404 naming the time to live when nothing is known', async () => {
    for (const path of ['/events/no-such-event/trace', '/requests/no-such-request/trace', '/profiles/no-such-profile/trace']) {
      const missing = await app.api(path);
      expect(missing.status, path).toBe(404);
      const body = (await missing.json()) as ErrorBody;
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toContain('traces are kept for traceTtlSeconds, 600 s');
    }
  });

  it('lists every topic\'s backlog and dead letters, as the one-topic backlog answers', async () => {
    const response = await app.api('/backlog');
    expect(response.status).toBe(200);
    const { topics } = (await response.json()) as Backlogs;
    expect(topics.map((t) => t.topic)).toEqual(expect.arrayContaining(['collector/payloads', 'workflow/events']));
    const collector = topics.find((t) => t.topic === 'collector/payloads');
    const single = await (await app.api('/queue/collector/payloads/backlog')).json();
    expect(collector).toMatchObject({ ...(single as object), deadLetters: expect.any(Number) as number });

    // A destination's topic is made at run time (when the dispatcher takes it up): listed once it exists.
    const created = await app.api('/destinations', { method: 'POST', body: JSON.stringify({ id: 'backlog-hook', webhook: { url: 'http://127.0.0.1:9/in' }, trigger: { eventTypes: ['never-sent'] } }) });
    expect(created.status).toBe(201);
    await app.eventually<Backlogs>('/backlog', (body) => body.topics.some((t) => t.topic === 'dispatch/destination-backlog-hook'));
  });

  it('answers /stats with this instance, the balance of every stage and the series read every interval', async () => {
    const stats = await app.eventually<{ intervalMs: number; instances: Array<{ role: string }>; balance: Record<string, unknown>; series: unknown[] }>(
      '/stats',
      (body) => body.series.length >= 2,
    );
    expect(stats.intervalMs).toBe(200);
    expect(Object.keys(stats.balance)).toEqual(['collector', 'dispatch', 'destinations', 'workflow']);
  });
});

describe('traces and stats written by other processes of a distributed deployment', () => {
  let app: TestInflow;
  let redis: Redis;
  let prefix: string;
  const logger = createLogger({ level: 'error', format: 'text' });
  beforeAll(async () => {
    const env = engineEnv('distributed');
    prefix = env['INFLOW_STORAGE_PREFIX'] ?? '';
    app = await startInflow({ ...env, INFLOW_STATS_INTERVAL_MS: '200' });
    redis = new Redis(requiredEnv('INFLOW_REDIS_URL'));
  });
  afterAll(async () => {
    await app.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(keys);
    redis.disconnect();
  });

  it('reads the entries every role appended, by event, request and profile (limit), oldest first', async () => {
    // What a collector and a dispatcher elsewhere would append.
    const elsewhere = new RedisTraceStore({ redis, keyPrefix: prefix, ttlSeconds: 3_600, profileEntries: 200, maxEntries: 1_000_000, logger });
    const t = Date.now() - 1_000;
    await elsewhere.append([
      { at: t, stage: 'edge', role: 'edge', requestId: 'req-1', profileId: 'ada', eventIds: ['ev-1', 'ev-2'], detail: { status: 201 } },
      { at: t + 5, stage: 'queued', role: 'edge', requestId: 'req-1', profileId: 'ada', detail: { topic: 'collector/payloads', lane: 2 } },
      { at: t + 40, stage: 'stored', role: 'collector', requestId: 'req-1', profileId: 'ada', eventIds: ['ev-1', 'ev-2'] },
    ]);
    await elsewhere.append([{ at: t + 90, stage: 'delivered', role: 'dispatch', profileId: 'ada', eventIds: ['ev-2'], detail: { destination: 'crm', status: 200 } }]);

    const event = (await (await app.api('/events/ev-2/trace')).json()) as Trace;
    expect(event.entries.map((e) => [e.stage, e.role, e.at])).toEqual([
      ['edge', 'edge', new Date(t).toISOString()],
      ['stored', 'collector', new Date(t + 40).toISOString()],
      ['delivered', 'dispatch', new Date(t + 90).toISOString()],
    ]);
    expect(event.entries[0]).toEqual({ at: new Date(t).toISOString(), stage: 'edge', role: 'edge', requestId: 'req-1', profileId: 'ada', eventIds: ['ev-2'], detail: { status: 201 } });
    const request = (await (await app.api('/requests/req-1/trace')).json()) as Trace;
    expect(request.entries.map((e) => e.stage)).toEqual(['edge', 'queued', 'stored']);
    const profile = (await (await app.api('/profiles/ada/trace?limit=2')).json()) as Trace;
    expect(profile.entries.map((e) => e.stage)).toEqual(['stored', 'delivered']);
  });

  it('answers a stored event whose entries are gone with one entry made from its record', async () => {
    const tracked = await app.track({ source: { id: 'demo' }, profile: { id: 'gone' }, events: [{ type: 'page-view' }] });
    const [eventId = ''] = ((await tracked.json()) as { events: string[] }).events;
    await app.eventually<Trace>(`/events/${eventId}/trace`, (body) => body.entries.length > 0);
    // As when its time to live ran out: every bucket of this instance's trace goes.
    const buckets = await redis.keys(`${prefix}:trace:*`);
    expect(buckets.length).toBeGreaterThan(0);
    await redis.del(...buckets);
    const trace = await app.eventually<Trace>(`/events/${eventId}/trace`, (body) => body.entries.length === 1 && body.entries[0]?.detail?.['synthetic'] === true);
    expect(trace.entries[0]).toMatchObject({ stage: 'stored', role: 'store', profileId: 'gone', eventIds: [eventId], detail: { synthetic: true, type: 'page-view' } });
  });

  it('sums the snapshots of two instances and balances their counters', async () => {
    const board = new RedisStatsBoard({ redis, keyPrefix: prefix, ttlMs: 15_000, logger });
    const now = Date.now();
    await board.publish({
      instance: 'collector@host-a:1',
      role: 'collector',
      at: now,
      counters: { 'collector.events.received': 12, 'collector.events.stored': 9, 'collector.events.deduplicated': 1, 'destination.crm.received': 4, 'destination.crm.delivered': 4 },
      gauges: { 'collector.events.pending': 2, 'collector.latency.p99_ms': 30 },
    });
    await board.publish({
      instance: 'collector@host-b:1',
      role: 'collector',
      at: now,
      counters: { 'collector.events.received': 8, 'collector.events.stored': 6, 'collector.events.dead_lettered': 1 },
      gauges: { 'collector.events.pending': 1, 'collector.latency.p99_ms': 55 },
    });
    const stats = await app.eventually<{
      instances: Array<{ instance: string }>;
      counters: Record<string, number>;
      gauges: Record<string, number>;
      balance: { collector: Record<string, unknown>; destinations: Record<string, { balanced: boolean }> };
    }>('/stats', (body) => body.instances.length >= 2);
    expect(stats.instances.map((i) => i.instance)).toEqual(expect.arrayContaining(['collector@host-a:1', 'collector@host-b:1']));
    expect(stats.counters).toMatchObject({ 'collector.events.received': 20, 'collector.events.stored': 15 });
    expect(stats.gauges).toMatchObject({ 'collector.events.pending': 3, 'collector.latency.p99_ms': 55 });
    expect(stats.balance.collector).toEqual({ received: 20, stored: 15, deduplicated: 1, deadLettered: 1, retried: 0, pending: 3, balanced: true });
    expect(stats.balance.destinations['crm']).toMatchObject({ balanced: true });
  });
});
