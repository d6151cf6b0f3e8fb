import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Queue } from '@inflow/core';
import { ALL_ROLES, createInflow, type Inflow, type Role } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import { parseScrapes, scrape, type Scrape } from './metrics-scrape.js';
import { startMisbehavingReceiver, type MisbehavingReceiver } from './support/misbehaving-receiver.js';
import { outsideQueue } from './support/outside-queue.js';
import { type EngineName, ENGINES, engineEnv, SETTLE_MS } from './support/start-inflow.js';

/** One deployment: every role in one instance (embedded), or each role its own instance (distributed). */
interface Deployment {
  instances: Inflow[];
  edge: Inflow;
  track(body: unknown): Promise<Response>;
  api(path: string, init?: RequestInit): Promise<Response>;
  outsideQueue(): Queue;
  scrape(): Promise<Scrape>;
  close(): Promise<void>;
}

async function deploy(engine: EngineName): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'inflow-balance-'));
  const env = engineEnv(engine);
  const config = parseConfig({}, {
    ...env,
    INFLOW_DATA_DIR: dataDir,
    INFLOW_PUBLIC_PORT: '0',
    INFLOW_PRIVATE_PORT: '0',
    INFLOW_WORKER_WAIT_MS: '20',
    INFLOW_DESTINATION_REFRESH_MS: '200',
    INFLOW_SERVE_DEMO: 'false',
    INFLOW_API_TOKEN: 'balance-test-token-0123456789',
  });
  const logger = createLogger({ level: 'warn', format: 'text', sink: () => undefined });
  const groups: Role[][] = engine === 'embedded' ? [[...ALL_ROLES]] : [['edge'], ['collector'], ['dispatch'], ['workflow']];
  const instances = groups.map((roles) => createInflow(config, roles, logger));
  for (const instance of instances) await instance.start();
  const edge = instances[0] as Inflow;
  const publicUrl = `http://127.0.0.1:${edge.publicPort}`;
  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${edge.privatePort}${path}`, { ...init, headers: { authorization: `Bearer ${edge.apiToken}`, 'content-type': 'application/json', ...init.headers } });
  return {
    instances,
    edge,
    track: (body) => fetch(`${publicUrl}/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    api,
    outsideQueue: () => outsideQueue(engine, dataDir, env),
    // The sum over every role's own health port.
    scrape: async () => parseScrapes(await Promise.all(instances.map((instance) => scrape(`http://127.0.0.1:${instance.healthPort}/metrics`)))),
    async close() {
      for (const instance of instances) await instance.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const OUTCOMES = { collector: ['stored', 'deduplicated', 'dead_lettered', 'retried'], dispatch: ['delivered', 'dead_lettered', 'retried'], workflow: ['done', 'dead_lettered', 'retried'] };

/** received = settled outcomes + pending, per stage and per destination, in one scrape. */
function balance(metrics: Scrape, stage: keyof typeof OUTCOMES, destination?: string): Record<string, number> {
  const [events, pending, labels] = destination
    ? ['inflow_destination_events_total', 'inflow_destination_events_pending', { destination }]
    : ['inflow_stage_events_total', 'inflow_stage_events_pending', { stage }];
  const counts: Record<string, number> = { received: metrics.value(events, { ...labels, outcome: 'received' }), pending: metrics.value(pending, labels) };
  for (const outcome of OUTCOMES[stage]) counts[outcome] = metrics.value(events, { ...labels, outcome });
  const settled = OUTCOMES[stage].reduce((sum, outcome) => sum + (counts[outcome] ?? 0), 0);
  expect(counts['received'], `${destination ?? stage} balances`).toBe(settled + (counts['pending'] ?? 0));
  expect(counts['pending']).toBeGreaterThanOrEqual(0);
  return counts;
}

interface Receivers {
  ok: MisbehavingReceiver;
  refusing: MisbehavingReceiver;
  close(): Promise<void>;
}

/** Destinations `ok` (fails twice, then takes everything) and `bad` (refuses with 422), and a rule on purchases. */
async function define(app: Deployment): Promise<Receivers> {
  const ok = await startMisbehavingReceiver((n) => (n <= 2 ? { status: 500 } : { status: 200 }));
  const refusing = await startMisbehavingReceiver(() => ({ status: 422 }));
  const post = (path: string, body: unknown): Promise<Response> => app.api(path, { method: 'POST', body: JSON.stringify(body) });
  expect((await post('/sources', { id: 'web' })).status).toBe(201);
  expect((await post('/destinations', { id: 'ok', webhook: { url: ok.url }, trigger: { eventTypes: ['purchase'] }, delivery: { minAttempts: 50, maxAgeMs: 600_000 } })).status).toBe(201);
  expect((await post('/destinations', { id: 'bad', webhook: { url: refusing.url }, trigger: { eventTypes: ['purchase'], condition: { field: 'event.properties.n', op: 'eq', value: 0 } } })).status).toBe(201);
  expect((await post('/rules', { id: 'buyer', trigger: { eventTypes: ['purchase'] }, actions: [{ type: 'add-segment', segment: 'buyer' }] })).status).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, 800)); // every role sees the destinations and the rule
  return { ok, refusing, close: async () => void (await Promise.all([ok.close(), refusing.close()])) };
}

/**
 * 10 queued requests of a purchase and a page view, a client's retry of one of them, a request
 * processed in place, one refused, and from outside the edge a request the collector cannot
 * apply (a time out of range: dead-lettered with its reason) and one it cannot read.
 */
async function sendMixedLoad(app: Deployment, tag: string): Promise<void> {
  const request = (i: number): unknown => ({
    source: { id: 'web' },
    profile: { id: `${tag}-p${i % 3}` },
    session: { id: `${tag}-s${i % 3}` },
    events: [
      { id: `${tag}-buy-${i}`, type: 'purchase', properties: { n: i } },
      { id: `${tag}-view-${i}`, type: 'page-view' },
    ],
    options: { queue: true },
  });
  for (let i = 0; i < 10; i++) expect((await app.track(request(i))).status).toBe(201);
  expect((await app.track(request(1))).status).toBe(201);
  expect((await app.track({ source: { id: 'web' }, profile: { id: `${tag}-here` }, events: [{ type: 'page-view' }] })).status).toBe(200);
  expect((await app.track({ source: { id: 'web' }, profile: { id: `${tag}-x` }, events: [{ type: '' }] })).status).toBe(400);
  const outside = app.outsideQueue();
  const poison = { v: 1, id: `${tag}-poison`, receivedAt: 1e20, meta: {}, payload: { source: { id: 'web' }, profile: { id: `${tag}-pp` }, session: { id: `${tag}-ps` }, events: [{ id: `${tag}-bad-1`, type: 'x' }, { id: `${tag}-bad-2`, type: 'x' }] } };
  await outside.producer({ namespace: 'collector', name: 'payloads' }).send([{ key: 'k', data: Buffer.from(JSON.stringify(poison)) }, { key: 'k', data: Buffer.from('not json') }]);
  await outside.close();
}

describe.each(ENGINES)('counters that balance on the %s engine', (engine) => {
  let app: Deployment;
  let receivers: Receivers;
  const tag = `bal-${engine}`;

  beforeAll(async () => {
    app = await deploy(engine);
    receivers = await define(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await receivers?.close();
  });

  it('balances per stage and per destination after a mixed load with failures, dead letters and duplicates', async () => {
    await sendMixedLoad(app, tag);

    const until = Date.now() + SETTLE_MS[engine] + 30_000;
    let metrics = await app.scrape();
    const settled = (m: Scrape): boolean =>
      m.value('inflow_stage_events_total', { stage: 'collector', outcome: 'received' }) >= 25 &&
      m.value('inflow_stage_events_total', { stage: 'dispatch', outcome: 'received' }) >= 12 &&
      m.value('inflow_stage_events_total', { stage: 'workflow', outcome: 'received' }) >= 11 &&
      m.value('inflow_stage_events_pending') === 0;
    while (!settled(metrics) && Date.now() < until) {
      balance(metrics, 'collector');
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = await app.scrape();
    }
    expect(balance(metrics, 'collector')).toEqual({ received: 25, stored: 20, deduplicated: 2, dead_lettered: 3, retried: 0, pending: 0 });
    expect(balance(metrics, 'dispatch')).toEqual({ received: 12, delivered: 11, dead_lettered: 1, retried: 0, pending: 0 });
    expect(balance(metrics, 'dispatch', 'ok')).toEqual({ received: 11, delivered: 11, dead_lettered: 0, retried: 0, pending: 0 });
    expect(balance(metrics, 'dispatch', 'bad')).toEqual({ received: 1, delivered: 0, dead_lettered: 1, retried: 0, pending: 0 });
    expect(balance(metrics, 'workflow')).toEqual({ received: 11, done: 11, dead_lettered: 0, retried: 0, pending: 0 });
    expect(metrics.value('inflow_destination_delivery_attempts_total', { destination: 'ok', result: 'failure' })).toBe(2);
    expect(metrics.value('inflow_rule_runs_total', { outcome: 'matched' })).toBe(10);
    expect(metrics.value('inflow_edge_requests_total', { outcome: 'accepted' })).toBe(12);
    expect(metrics.value('inflow_edge_requests_total', { outcome: 'refused' })).toBe(1);
    expect(metrics.value('inflow_edge_events_total', { outcome: 'accepted' })).toBe(23);

    // The stats board's snapshot says the same, by name.
    const snapshots = app.instances.map((instance) => instance.telemetry.snapshot());
    const counter = (name: string): number => snapshots.reduce((sum, snapshot) => sum + (snapshot.counters[name] ?? 0), 0);
    expect(counter('collector.events.received')).toBe(25);
    expect(counter('collector.events.dead_lettered')).toBe(3);
    expect(counter('destination.ok.delivered')).toBe(11);
    expect(counter('workflow.events.done')).toBe(11);
    expect(counter('workflow.rules.ran')).toBe(10);
    expect(counter('edge.events.accepted')).toBe(23);
    expect(snapshots.some((snapshot) => snapshot.gauges['edge.latency.p99_ms'] !== undefined)).toBe(true);
  }, 120_000);
});

describe('the trace of events on the embedded engine', () => {
  let app: Deployment;
  let receivers: Receivers;
  const tag = 'trace';

  beforeAll(async () => {
    app = await deploy('embedded');
    receivers = await define(app);
    await sendMixedLoad(app, tag);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await receivers?.close();
  });

  it('traces an event through every stage, and a dead-lettered request with its reason', async () => {
    type Trace = { entries: Array<{ stage: string; role: string; requestId?: string; detail?: Record<string, unknown> }> };
    const read = async (path: string, done: (trace: Trace) => boolean): Promise<Trace> => {
      const until = Date.now() + 10_000;
      for (;;) {
        const response = await app.api(path);
        const trace = (response.status === 200 ? await response.json() : { entries: [] }) as Trace;
        if (done(trace) || Date.now() > until) return trace;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const stages = ['queued', 'stored', 'routed', 'delivered', 'rule'];
    const trace = await read(`/events/${tag}-buy-2/trace`, (t) => stages.every((stage) => t.entries.some((entry) => entry.stage === stage)));
    expect(trace.entries.map((entry) => entry.stage)).toEqual(expect.arrayContaining(stages));
    // A queued request's one edge entry: received (at), where it waits, how long the queue took to confirm.
    expect(trace.entries.find((entry) => entry.stage === 'queued')).toMatchObject({
      role: 'edge',
      detail: { source: 'web', topic: 'collector/payloads', lane: expect.any(Number) as number, confirmedInMs: expect.any(Number) as number },
    });
    expect(trace.entries.find((entry) => entry.stage === 'delivered')).toMatchObject({ role: 'dispatch', detail: { destination: 'ok', status: 200 } });
    expect(trace.entries.find((entry) => entry.stage === 'rule')).toMatchObject({ role: 'workflow', detail: { rules: [{ rule: 'buyer', actions: [{ type: 'add-segment', result: 'applied' }] }] } });
    const routed = trace.entries.filter((entry) => entry.stage === 'routed').map((entry) => entry.detail);
    // Routed to its destination; the rules ran in the collector's write (the 'rule' entry), so nothing is routed to them.
    expect(routed).toEqual([{ destinations: ['ok'] }]);
    // The first attempts to `ok` failed: some event's trace shows the failure and the wait.
    const first = await read(`/events/${tag}-buy-0/trace`, (t) => t.entries.some((entry) => entry.stage === 'dead-lettered'));
    expect(first.entries.find((entry) => entry.stage === 'dead-lettered')).toMatchObject({ role: 'dispatch', detail: { destination: 'bad', reason: expect.stringContaining('422') as string } });

    const poison = await read(`/requests/${tag}-poison/trace`, (t) => t.entries.length > 0);
    expect(poison.entries).toEqual([
      expect.objectContaining({ stage: 'dead-lettered', role: 'collector', detail: { reason: expect.stringContaining('Invalid time value') as string, stage: 'collector' } }),
    ]);
    const duplicate = await read(`/events/${tag}-view-1/trace`, (t) => t.entries.some((entry) => entry.stage === 'deduplicated'));
    expect(duplicate.entries.map((entry) => entry.stage)).toContain('deduplicated');
  });
});
