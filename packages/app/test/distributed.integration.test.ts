import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteTestIndices, requiredEnv, stackPulsarHeaders } from '../../workers/src/test-support/services.js';
import { engineEnv } from './support/start-inflow.js';
import { spawnInflow, waitFor, type InflowProcess } from './support/spawn-inflow.js';

/** Producers and consumers on Pulsar's binary protocol (the default) or its WebSocket API. */
type PulsarTransport = 'binary' | 'websocket';
const TRANSPORTS: PulsarTransport[] = ['binary', 'websocket'];
const STACK = fileURLToPath(new URL('../../../scripts/stack.mjs', import.meta.url));
const processes: InflowProcess[] = [];
const dirs: string[] = [];
/** Index prefixes of this file's deployments, removed after each test. */
const prefixes: string[] = [];

// This file runs alone, after every other (vitest.config.ts): when this run started Elasticsearch
// (INFLOW_TEST_RUN_STARTED is set then), the indices of its earlier files are nobody's any more.
// Removed, they no longer lengthen each Elasticsearch crash's recovery (a full run had made 208,
// which took 94 s to recover after a kill).
beforeAll(async () => {
  const started = Number(process.env['INFLOW_TEST_RUN_STARTED'] ?? Number.NaN);
  if (Number.isFinite(started)) await removeIndices({ sinceMs: started });
}, 120_000);

afterEach(async () => {
  const killed = processes.splice(0);
  for (const p of killed) p.child.kill('SIGKILL');
  await Promise.all(killed.map((p) => p.exited));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await removeIndices({ prefixes: prefixes.splice(0) });
}, 120_000);

/** Best effort: a test that left Elasticsearch down has failed already; its indices stay. */
async function removeIndices(which: Parameters<typeof deleteTestIndices>[1]): Promise<void> {
  try {
    await deleteTestIndices(requiredEnv('INFLOW_ELASTICSEARCH_URL'), which);
  } catch (error) {
    process.stderr.write(`test indices not removed: ${(error as Error).message}\n`);
  }
}

/** One distributed deployment: its own Pulsar tenant and index prefix, roles started on demand. */
function deployment(transport: PulsarTransport = 'binary') {
  const env: Record<string, string> = { ...engineEnv('distributed'), INFLOW_WORKER_WAIT_MS: '50', INFLOW_REDELIVERY_DELAY_MS: '200', INFLOW_PULSAR_TRANSPORT: transport };
  const dir = mkdtempSync(join(tmpdir(), 'inflow-dist-'));
  dirs.push(dir);
  const es = env['INFLOW_ELASTICSEARCH_URL'] as string;
  const prefix = env['INFLOW_STORAGE_PREFIX'] as string;
  prefixes.push(prefix);
  return {
    env,
    /**
     * Starts a role, allowing 3 minutes by default: a role waits for its services, and after the
     * fault tests' crashes a full run's Elasticsearch recovers the shards of every test's indices
     * before it creates new ones (a new deployment's edge once took over 60 s to start then).
     */
    async start(role: 'edge' | 'collector', extra: Record<string, string> = {}, startMs = 180_000): Promise<InflowProcess> {
      const p = await spawnInflow(dir, { ...env, ...extra }, role, startMs);
      processes.push(p);
      return p;
    },
    /** Every stored event id, straight from Elasticsearch (duplicates would show twice). */
    async storedEventIds(): Promise<string[]> {
      await fetch(`${es}/${prefix}-events-*/_refresh`, { method: 'POST' });
      // Page by page with a scroll (a search gives at most 10,000 hits), duplicates included.
      const ids: string[] = [];
      type Page = { _scroll_id?: string; hits?: { hits: Array<{ _source: { id: string } }> } };
      // A failed search throws (an empty answer would pass the duplicate checks without checking
      // anything), after a few tries: shards of a restarted Elasticsearch come back one by one.
      const post = async (path: string, body: unknown): Promise<Page> => {
        for (let attempt = 1; ; attempt++) {
          const response = await fetch(`${es}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          if (response.ok) return (await response.json()) as Page;
          const text = await response.text();
          if (response.status < 500 || attempt >= 20) throw new Error(`Elasticsearch ${path}: ${response.status} ${text}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      };
      let page = await post(`${prefix}-events-*/_search?scroll=1m`, { size: 10_000, _source: ['id'] });
      try {
        while ((page.hits?.hits.length ?? 0) > 0) {
          ids.push(...(page.hits?.hits ?? []).map((hit) => hit._source.id));
          page = await post('_search/scroll', { scroll: '1m', scroll_id: page._scroll_id });
        }
      } finally {
        if (page._scroll_id) await fetch(`${es}/_search/scroll`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scroll_id: page._scroll_id }) });
      }
      return ids;
    },
    /** Each profile's and each session's event count beside the number of its stored events (they must agree). */
    async countsByProfile(): Promise<Array<{ id: string; counted: number; stored: number }>> {
      await fetch(`${es}/${prefix}-*/_refresh`, { method: 'POST' });
      const search = async <T>(index: string, body: unknown): Promise<T> =>
        (await (await fetch(`${es}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as T;
      type Hits = { hits: { hits: Array<{ _source: { id: string; eventCount: number } }> } };
      type Buckets = { aggregations: Record<'byProfile' | 'bySession', { buckets: Array<{ key: string; doc_count: number }> }> };
      const [profiles, sessions, events] = await Promise.all([
        search<Hits>(`${prefix}-profiles`, { size: 5000 }),
        search<Hits>(`${prefix}-sessions`, { size: 5000 }),
        search<Buckets>(`${prefix}-events-*`, {
          size: 0,
          aggs: { byProfile: { terms: { field: 'profileId', size: 5000 } }, bySession: { terms: { field: 'sessionId', size: 5000 } } },
        }),
      ]);
      const rows = (kind: string, records: Hits, buckets: Array<{ key: string; doc_count: number }>) => {
        const counted = new Map(records.hits.hits.map(({ _source: r }) => [r.id, r.eventCount]));
        const stored = new Map(buckets.map((b) => [b.key, b.doc_count]));
        // Over the union: events of a profile whose record was never written show up too.
        return [...new Set([...counted.keys(), ...stored.keys()])].map((id) => ({ id: `${kind} ${id}`, counted: counted.get(id) ?? 0, stored: stored.get(id) ?? 0 }));
      };
      return [...rows('profile', profiles, events.aggregations.byProfile.buckets), ...rows('session', sessions, events.aggregations.bySession.buckets)];
    },
  };
}

/** Every profile's count equals its stored events (none counted twice, none missed). */
function expectExactCounts(rows: Array<{ id: string; counted: number; stored: number }>): void {
  expect(rows.filter((row) => row.counted !== row.stored)).toEqual([]);
}

interface Load {
  accepted: string[];
  refused: number;
  failed: number;
  /** What each failure was (status and body, or the fetch error), so a failing run says why. */
  failures: string[];
}

/**
 * Posts queued requests (two events each) from `senders` loops until `stop()` or `total` is
 * reached, for `profiles` profiles (40 sessions), to `edge` or to whichever edge `edge()` names at
 * the time of each request. Request numbers start at `from` (event ids stay unique across loads).
 */
function postLoad(
  edge: InflowProcess | (() => InflowProcess),
  total: number,
  senders = 6,
  { profiles = 25, from = 0 }: { profiles?: number; from?: number } = {},
): { done: Promise<Load>; stop(): void; accepted(): number; refused(): number } {
  const target = typeof edge === 'function' ? edge : () => edge;
  const load: Load = { accepted: [], refused: 0, failed: 0, failures: [] };
  let next = from;
  let stopped = false;
  const sender = async (): Promise<void> => {
    while (!stopped && next < from + total) {
      const i = next++;
      const ids = [`ev-${i}-a`, `ev-${i}-b`];
      const body = JSON.stringify({
        source: { id: 'demo' },
        profile: { id: `profile-${i % profiles}` },
        session: { id: `session-${i % 40}` },
        events: ids.map((id) => ({ id, type: 'page-view', time: new Date().toISOString(), properties: { i } })),
        options: { queue: true },
      });
      try {
        const response = await fetch(`${target().publicUrl}/track`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
        if (response.status === 201) load.accepted.push(...ids);
        else if (response.status === 503) {
          load.refused += 1;
          expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
        } else {
          load.failed += 1;
          load.failures.push(`${response.status} ${await response.text()}`);
        }
      } catch (error) {
        load.failed += 1;
        load.failures.push(`${String(error)} (${String((error as Error).cause)})`);
      }
    }
  };
  const done = Promise.all(Array.from({ length: senders }, sender)).then(() => load);
  return { done, stop: () => (stopped = true), accepted: () => load.accepted.length, refused: () => load.refused };
}

/** What the broker says of the collector subscription on each partition: its consumers, their permits and unacked counts, draining hashes. */
async function subscriptionStats(env: Record<string, string>): Promise<string> {
  const admin = `${env['INFLOW_PULSAR_URL']}/admin/v2/persistent/${env['INFLOW_TENANT']}/collector`;
  const partitions = await Promise.all(
    [0, 1].map(async (i) => {
      const stats = (await (await fetch(`${admin}/payloads-partition-${i}/stats`, { headers: stackPulsarHeaders() })).json()) as { subscriptions?: Record<string, unknown> };
      return { partition: i, subscriptions: stats.subscriptions };
    }),
  );
  return JSON.stringify(partitions, null, 1);
}

async function backlogTotal(edge: InflowProcess, path: string): Promise<number> {
  return ((await (await edge.api(path)).json()) as { total: number }).total;
}

/**
 * The reasons of the kept dead letters, once the private API can list them: right after a broker
 * restart its admin peek may answer 503 (the bookie is still coming back), which is retried.
 */
async function deadLetterReasons(edge: InflowProcess): Promise<string[]> {
  let reasons: string[] | undefined;
  await waitFor(async () => {
    const response = await edge.api('/dead-letters');
    const body = (await response.json()) as { deadLetters?: Array<{ reason: string }> };
    if (response.status === 200 && body.deadLetters) reasons = body.deadLetters.map((letter) => letter.reason);
    else expect(response.status, JSON.stringify(body)).toBe(503);
    return reasons !== undefined;
  }, 60_000, 'the dead letters listed');
  return reasons ?? [];
}

/**
 * Unloads a topic through Pulsar's admin API. An earlier test's kill may leave the broker's bookie
 * still recovering, and the admin answers 500 ("Not enough non-faulty bookies") for a while: the
 * broker's own trouble, not the client's under test, so the unload is tried again for up to 30 s.
 */
async function unload(topicUrl: string): Promise<void> {
  let last = '';
  await waitFor(async () => {
    const response = await fetch(`${topicUrl}/unload`, { method: 'PUT', headers: stackPulsarHeaders() });
    last = `${response.status} ${await response.text()}`;
    expect(response.status, last).not.toBeLessThan(200);
    if (response.status < 300) return true;
    expect(response.status, last).toBeGreaterThanOrEqual(500);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return false;
  }, 30_000, 'topic unloaded').catch((error: unknown) => {
    throw new Error(`${String(error)}; the admin's last answer: ${last}`);
  });
}

/** Hangs a stack service (SIGSTOP) for `ms`, then lets it go on (SIGCONT), whatever happens meanwhile. */
async function hang(service: 'pulsar' | 'redis' | 'elasticsearch', ms: number): Promise<void> {
  execFileSync(process.execPath, [STACK, 'pause', service], { stdio: 'inherit' });
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    execFileSync(process.execPath, [STACK, 'resume', service], { stdio: 'inherit' });
  }
}

type Deployment = ReturnType<typeof deployment>;
type Traffic = ReturnType<typeof postLoad>;

/**
 * An edge and `collectors` collectors of `d` under a load that runs until stopped (four senders),
 * once the collectors stored their first 200 events: the start of every fault test below.
 */
async function underLoad(d: Deployment, { collectors = 1, edgeEnv = {} }: { collectors?: number; edgeEnv?: Record<string, string> } = {}): Promise<{ edge: InflowProcess; collectors: [InflowProcess, ...InflowProcess[]]; traffic: Traffic }> {
  const edge = await d.start('edge', edgeEnv);
  const started: [InflowProcess, ...InflowProcess[]] = [await d.start('collector')];
  while (started.length < collectors) started.push(await d.start('collector'));
  const traffic = postLoad(edge, 1_000_000, 4);
  await waitFor(async () => (await d.storedEventIds()).length > 200, 60_000);
  return { edge, collectors: started, traffic };
}

/** Lets the load go on until `more` requests were accepted after the faults, then stops it: every request answered 201, 503 or not at all. */
async function endLoad(traffic: Traffic, what: string, more = 200): Promise<Load> {
  const before = traffic.accepted();
  await waitFor(() => traffic.accepted() > before + more, 90_000, `requests accepted ${what}`);
  traffic.stop();
  const load = await traffic.done;
  expect(load.failures).toEqual([]);
  return load;
}

/**
 * Once the collectors drained the topic: nothing dead-lettered (with `noDeadLetters`), every event
 * answered 201 stored exactly once, and every profile's and session's count equal to its stored events.
 */
async function expectStoredOnce(d: Deployment, edge: InflowProcess, load: Load, { noDeadLetters = true } = {}): Promise<void> {
  await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 180_000);
  if (noDeadLetters) expect(await deadLetterReasons(edge)).toEqual([]);
  const expected = new Set(load.accepted);
  await waitFor(async () => (await d.storedEventIds()).filter((id) => expected.has(id)).length === expected.size, 60_000).catch(async (error: unknown) => {
    const stored = new Set(await d.storedEventIds());
    const missing = [...expected].filter((id) => !stored.has(id));
    throw new Error(`${String(error)}: ${missing.length} of ${expected.size} accepted events not stored (${missing.slice(0, 10).join(' ')})\nedge:\n${edge.output().slice(-4000)}`);
  });
  const stored = await d.storedEventIds();
  expect(stored).toHaveLength(new Set(stored).size);
  expectExactCounts(await d.countsByProfile());
}

describe('the distributed engine as separate processes on real Pulsar, Elasticsearch and Redis', () => {
  it('shows a backlog while the workers are stopped, and zero once they drained it into Elasticsearch', async () => {
    const d = deployment();
    const edge = await d.start('edge');
    const { done } = postLoad(edge, 100);
    const load = await done;
    expect(load.accepted).toHaveLength(200);
    const backlog = (await (await edge.api('/queue/collector/payloads/backlog')).json()) as { total: number; backlog: Array<{ partition: string; count: number }> };
    // Requests travel many to a Pulsar message: fewer messages than requests, at least one.
    expect(backlog.total).toBeGreaterThan(0);
    expect(backlog.total).toBeLessThanOrEqual(100);
    expect(backlog.backlog.map((row) => row.partition)).toEqual([0, 1].map((i) => `persistent://${d.env['INFLOW_TENANT']}/collector/payloads-partition-${i}`));

    await d.start('collector');
    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 60_000);
    await waitFor(async () => (await d.storedEventIds()).length === 200, 30_000);
    expect((await d.storedEventIds()).sort()).toEqual([...load.accepted].sort());
  }, 180_000);

  it.each(TRANSPORTS)('shares the collector subscription between two processes without duplicates, and loses nothing when a collector is killed mid-batch (%s)', async (transport) => {
    const d = deployment(transport);
    const edge = await d.start('edge');
    const steady = await d.start('collector');
    let victim = await d.start('collector', { INFLOW_COLLECTOR_BATCH_SIZE: '5' });
    const { done } = postLoad(edge, 600);
    // Kill a collector while it has batches in hand, then bring another one up.
    await waitFor(() => /Collector: messages [1-9]/.test(victim.output()), 60_000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    victim = await d.start('collector');
    const load = await done;
    expect(load.failures).toEqual([]);
    expect(load.failed).toBe(0);
    expect(load.accepted).toHaveLength(1200);

    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 120_000).catch(async (error: unknown) => {
      // Seen once under a full parallel run on a cold machine: say where the messages stopped.
      const backlog = await (await edge.api('/queue/collector/payloads/backlog')).text();
      const tail = (text: string): string => text.split('\n').slice(-15).join('\n');
      throw new Error(
        `${String(error)}\nbacklog: ${backlog}\nbroker: ${await subscriptionStats(d.env)}\nsteady collector:\n${tail(steady.output())}\nnew collector:\n${tail(victim.output())}`,
      );
    });
    await waitFor(async () => (await d.storedEventIds()).length >= 1200, 30_000);
    const stored = await d.storedEventIds();
    expect(stored).toHaveLength(new Set(stored).size);
    expect(stored.sort()).toEqual([...load.accepted].sort());
    expectExactCounts(await d.countsByProfile());
    expect(steady.output()).toMatch(/Collector: messages [1-9]/);
  }, 240_000);

  it('stays exact when Redis loses everything while Elasticsearch hangs, mid-load', async () => {
    const d = deployment();
    const edge = await d.start('edge');
    await d.start('collector');
    await d.start('collector');
    const traffic = postLoad(edge, 1500, 4);
    await waitFor(async () => (await d.storedEventIds()).length > 200, 60_000);
    execFileSync(process.execPath, [STACK, 'pause', 'elasticsearch'], { stdio: 'inherit' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // Redis runs without persistence: a restart wipes every cached profile and session.
      execFileSync(process.execPath, [STACK, 'restart', 'redis'], { stdio: 'inherit' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      execFileSync(process.execPath, [STACK, 'resume', 'elasticsearch'], { stdio: 'inherit' });
    }
    const load = await traffic.done;
    expect(load.failures).toEqual([]);
    expect(load.accepted.length).toBeGreaterThan(2000);
    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 120_000);
    await waitFor(async () => (await d.storedEventIds()).length >= load.accepted.length, 60_000);
    const stored = await d.storedEventIds();
    expect(stored).toHaveLength(new Set(stored).size);
    expect(stored.sort()).toEqual([...load.accepted].sort());
    expectExactCounts(await d.countsByProfile());
  }, 300_000);

  it('stays exact through overlapping crashes mid-load: Elasticsearch killed (SIGKILL); while it restarts Redis is wiped and a collector killed; its replacement waits for Elasticsearch while Pulsar is killed (SIGKILL)', async () => {
    const d = deployment();
    // Until stopped: the load goes on through every crash and after them.
    const { edge, collectors: [victim], traffic } = await underLoad(d, { collectors: 2, edgeEnv: { INFLOW_QUEUE_TIMEOUT_MS: '2000' } });
    // Elasticsearch crashes (and comes back) while everything else happens.
    const elasticsearch = promisify(execFile)(process.execPath, [STACK, 'restart', '--kill', 'elasticsearch']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    execFileSync(process.execPath, [STACK, 'restart', 'redis'], { stdio: 'inherit' });
    victim.child.kill('SIGKILL');
    await victim.exited;
    // The replacement starts while Elasticsearch is still down, and Pulsar crashes while it waits.
    const replacement = d.start('collector', {}, 240_000);
    await promisify(execFile)(process.execPath, [STACK, 'restart', '--kill', 'pulsar']);
    await elasticsearch;
    await replacement;
    const load = await endLoad(traffic, 'after the crashes');
    // The edge answered 503 while Pulsar was down: the load did overlap the crashes.
    expect(load.refused).toBeGreaterThan(0);
    await expectStoredOnce(d, edge, load);
  }, 420_000);

  it('stays exact when Pulsar is killed (SIGKILL) after the collector acknowledged hundreds of events of each profile (acknowledgements are persisted as they come)', async () => {
    const d = deployment();
    const edge = await d.start('edge');
    const collector = await d.start('collector');
    // Two profiles, 600 events each: far more than a profile remembers (256), so only the broker
    // keeping its acknowledgements keeps them from being counted again.
    const first = await postLoad(edge, 600, 4, { profiles: 2 }).done;
    expect(first.failures).toEqual([]);
    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 60_000);
    // Pulsar's own default persists a cursor's acknowledgements at most once in 10 s (standalone)
    // or 1 s (broker.conf): a crash would deliver all of these requests again.
    await promisify(execFile)(process.execPath, [STACK, 'restart', '--kill', 'pulsar']);
    expect(collector.output()).toMatch(/acknowledgements .*persisted as they come/);
    const second = await postLoad(edge, 50, 2, { profiles: 2, from: 600 }).done;
    // Requests sent while the edge's producer reconnects may get 503: the ones answered 201 count.
    expect(second.failures).toEqual([]);
    await expectStoredOnce(d, edge, { ...second, accepted: [...first.accepted, ...second.accepted] });
  }, 240_000);

  it.each(TRANSPORTS)('answers 503 while Pulsar hangs (SIGSTOP) mid-load, takes requests again once it goes on, and stays exact (%s)', async (transport) => {
    const d = deployment(transport);
    const { edge, traffic } = await underLoad(d, { edgeEnv: { INFLOW_QUEUE_TIMEOUT_MS: '2000' } });
    await hang('pulsar', 8_000);
    const load = await endLoad(traffic, 'after Pulsar went on');
    expect(load.refused).toBeGreaterThan(0);
    await expectStoredOnce(d, edge, load);
  }, 300_000);

  it('stays exact when Elasticsearch hangs longer than its client waits (bulks time out, are sent again, and were applied after all)', async () => {
    const d = deployment();
    const { edge, collectors, traffic } = await underLoad(d, { collectors: 2 });
    await hang('elasticsearch', 40_000);
    await expectStoredOnce(d, edge, await endLoad(traffic, 'after Elasticsearch went on'));
    expect(collectors.map((c) => c.output()).join('\n')).toMatch(/WARN .*store unavailable: .*timed? ?out/i);
  }, 400_000);

  it('stays exact when Redis hangs (SIGSTOP) mid-load and goes on with what it had cached', async () => {
    const d = deployment();
    const { edge, collectors, traffic } = await underLoad(d, { collectors: 2 });
    await hang('redis', 5_000);
    // The cache now holds what it had before the hang, older than what was stored meanwhile.
    await expectStoredOnce(d, edge, await endLoad(traffic, 'after Redis went on', 400));
    // The collectors went on during the hang, reading the store instead (and so made the cache stale).
    expect(collectors.map((c) => c.output()).join('\n')).toMatch(/WARN .*redis read failed, reading \d+ records from the store/);
  }, 300_000);

  it('waits while the indices are blocked for writes mid-load (index.blocks.write, as an operator sets it), dead-letters nothing, then stores everything', async () => {
    const d = deployment();
    const { edge, collectors: [collector], traffic } = await underLoad(d);
    const es = d.env['INFLOW_ELASTICSEARCH_URL'] as string;
    const prefix = d.env['INFLOW_STORAGE_PREFIX'] as string;
    const block = async (on: boolean): Promise<void> => {
      const response = await fetch(`${es}/${prefix}-*/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'index.blocks.write': on ? true : null }) });
      expect(response.status, await response.text()).toBe(200);
    };
    await block(true);
    try {
      await waitFor(() => /cluster_block_exception/.test(collector.output()), 30_000, 'the collector meeting the block');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      await block(false);
    }
    await expectStoredOnce(d, edge, await endLoad(traffic, 'after the block'));
  }, 300_000);

  it.each(TRANSPORTS)('answers 503 once the collector topic is over its backlog quota, and 201 again once there is room (%s)', async (transport) => {
    const d = deployment(transport);
    const edge = await d.start('edge', { INFLOW_QUEUE_TIMEOUT_MS: '2000' });
    const namespace = `${d.env['INFLOW_PULSAR_URL']}/admin/v2/namespaces/${d.env['INFLOW_TENANT']}/collector`;
    const quota = await fetch(`${namespace}/backlogQuota?backlogQuotaType=destination_storage`, {
      method: 'POST',
      headers: { ...stackPulsarHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ limitSize: 32 * 1024, limitTime: -1, policy: 'producer_exception' }),
    });
    expect(quota.status, await quota.text()).toBeLessThan(300);
    // Nothing consumes: the backlog grows past the quota. The broker checks it for open producers
    // once a minute, and at once when a producer is made: unloading the partitions makes the edge's again.
    const traffic = postLoad(edge, 1_000_000, 4);
    await waitFor(() => traffic.accepted() > 2_000, 60_000, 'a backlog over the quota');
    const admin = `${d.env['INFLOW_PULSAR_URL']}/admin/v2/persistent/${d.env['INFLOW_TENANT']}/collector/payloads`;
    for (const partition of [0, 1]) {
      const response = await fetch(`${admin}-partition-${partition}/unload`, { method: 'PUT', headers: stackPulsarHeaders() });
      expect(response.status, await response.text()).toBeLessThan(300);
    }
    await waitFor(() => traffic.refused() > 5, 60_000, `503s over the quota (edge said:\n${edge.output().slice(-3000)})`);
    const removed = await fetch(`${namespace}/backlogQuota?backlogQuotaType=destination_storage`, { method: 'DELETE', headers: stackPulsarHeaders() });
    expect(removed.status, await removed.text()).toBeLessThan(300);
    await d.start('collector');
    const load = await endLoad(traffic, 'again once there is room');
    expect(load.refused).toBeGreaterThan(0);
    await expectStoredOnce(d, edge, load);
  }, 300_000);

  it('stays exact when Elasticsearch restarts mid-load (collectors wait, nothing is dead-lettered)', async () => {
    const d = deployment();
    const edge = await d.start('edge');
    const collectors = [await d.start('collector'), await d.start('collector')];
    const traffic = postLoad(edge, 1500, 4);
    await waitFor(async () => (await d.storedEventIds()).length > 200, 60_000);
    // Asynchronously, so the load goes on while Elasticsearch is down and starting.
    await promisify(execFile)(process.execPath, [STACK, 'restart', 'elasticsearch']);
    const load = await traffic.done;
    expect(load.failures).toEqual([]);
    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 180_000);
    expect(await deadLetterReasons(edge)).toEqual([]);
    await waitFor(async () => (await d.storedEventIds()).length >= load.accepted.length, 60_000);
    const stored = await d.storedEventIds();
    expect(stored).toHaveLength(new Set(stored).size);
    expect(stored.sort()).toEqual([...load.accepted].sort());
    expectExactCounts(await d.countsByProfile());
    expect(collectors.map((c) => c.output()).join('\n')).toMatch(/WARN .*batch of \d+ waits \d+ ms/);
  }, 300_000);

  it('loses nothing answered 201 when the edge is killed (SIGKILL) mid-load and another takes over', async () => {
    const d = deployment();
    let edge = await d.start('edge');
    await d.start('collector');
    const traffic = postLoad(() => edge, 2000, 4);
    await waitFor(async () => (await d.storedEventIds()).length > 200, 60_000);
    edge.child.kill('SIGKILL');
    await edge.exited;
    edge = await d.start('edge');
    const load = await traffic.done;
    // Requests in flight on the killed edge failed without an answer: the client would retry them.
    expect(load.failures.every((failure) => failure.includes('fetch failed'))).toBe(true);
    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 120_000);
    await waitFor(async () => (await d.storedEventIds()).length >= load.accepted.length, 60_000);
    const stored = new Set(await d.storedEventIds());
    expect([...load.accepted].filter((id) => !stored.has(id))).toEqual([]);
    expectExactCounts(await d.countsByProfile());
  }, 240_000);

  it.each(TRANSPORTS)('keeps every request answered 201 when the collector topic is unloaded again and again mid-load, and counts stay exact (%s)', async (transport) => {
    const d = deployment(transport);
    const edge = await d.start('edge');
    await d.start('collector');
    await d.start('collector');
    const traffic = postLoad(edge, 3_000, 6);
    const admin = `${d.env['INFLOW_PULSAR_URL']}/admin/v2/persistent/${d.env['INFLOW_TENANT']}/collector/payloads`;
    // Each unload closes every producer and consumer of the partition: they look it up again and go on.
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      for (const partition of [0, 1]) {
        await unload(`${admin}-partition-${partition}`);
      }
    }
    const load = await traffic.done;
    expect(load.failures).toEqual([]);
    expect(load.accepted.length).toBeGreaterThan(0);
    await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 120_000);
    const expected = new Set(load.accepted);
    await waitFor(async () => (await d.storedEventIds()).filter((id) => expected.has(id)).length === expected.size, 60_000);
    const stored = await d.storedEventIds();
    expect(stored.length, 'every event stored once').toBe(new Set(stored).size);
    expectExactCounts(await d.countsByProfile());
  }, 240_000);

  it.each(TRANSPORTS)('answers 503 while Pulsar restarts under traffic and loses nothing it answered 201 (%s)', async (transport) => {
    const d = deployment(transport);
    const edge = await d.start('edge', { INFLOW_QUEUE_TIMEOUT_MS: '2000' });
    const collector = await d.start('collector');
    const traffic = postLoad(edge, 4_000, 4);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await promisify(execFile)(process.execPath, [STACK, 'restart', 'pulsar']);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    traffic.stop();
    const load = await traffic.done;
    expect(load.failures).toEqual([]);
    expect(load.failed).toBe(0);
    expect(load.refused, `accepted ${load.accepted.length / 2} requests, none refused`).toBeGreaterThan(0);
    expect(load.accepted.length).toBeGreaterThan(0);

    try {
      await waitFor(async () => (await backlogTotal(edge, '/queue/collector/payloads/backlog')) === 0, 120_000);
    } catch (error) {
      // Say where the requests stopped.
      throw new Error(`${String(error)}\ncollector said:\n${collector.output().slice(-4000)}\nedge said:\n${edge.output().slice(-2000)}`);
    }
    const expected = new Set(load.accepted);
    await waitFor(async () => (await d.storedEventIds()).filter((id) => expected.has(id)).length === expected.size, 60_000);
    expectExactCounts(await d.countsByProfile());
  }, 300_000);
});
