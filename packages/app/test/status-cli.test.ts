import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@inflow/core';
import { RedisStatsBoard } from '../../workers/src/distributed/redis/redis-stats-board.js';
import { RedisTraceStore } from '../../workers/src/distributed/redis/redis-trace-store.js';
import { requiredEnv } from '../../workers/src/test-support/services.js';
import { engineEnv } from './support/start-inflow.js';
import { SqliteQueue } from '@inflow/workers';
import { runCli, spawnInflow, TOKEN, waitFor, type InflowProcess } from './support/spawn-inflow.js';

const logger = createLogger({ level: 'error', format: 'text' });

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('inflow status, trace and sources (the built command line against a running embedded inflow)', () => {
  let dir: string;
  let inflow: InflowProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inflow-status-'));
    inflow = await spawnInflow(dir, { INFLOW_STATS_INTERVAL_MS: '200' });
    env = { INFLOW_DATA_DIR: dir, INFLOW_PRIVATE_PORT: new URL(inflow.privateUrl).port, INFLOW_API_TOKEN: TOKEN };
  });
  afterAll(async () => {
    inflow.child.kill('SIGTERM');
    await inflow.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('says everything is reachable, lists the topics with their backlog and dead letters, and exits 0', async () => {
    // A message the edge would never write (no profile id): the collector dead-letters it.
    const outside = new SqliteQueue({ file: join(dir, 'queue.db'), tenant: 'inflow', maxBacklog: 10, topics: [] });
    await outside.producer({ namespace: 'collector', name: 'payloads' }).send([{ key: 'k', data: Buffer.from('{"v":1,"id":"r-status","receivedAt":1,"payload":{"source":{"id":"demo"},"events":[{"type":"x"}]}}') }]);
    await outside.close();
    await waitFor(async () => (await runCli(['status'], env)).output.includes('dead letters: 1'), 10_000);
    const result = await runCli(['status'], env);
    expect(result.output).toMatch(/^collector\/payloads\s+0\s+1$/m);
    expect(result.output).toMatch(/^checking the private API \(2000 ms each\) \.\.\.$/m);
    expect(result.output).toMatch(/^SERVICE\s+STATE\s+URL\s+DETAIL$/m);
    expect(result.output).toMatch(/^private API\s+✓ up\s+http:\/\/127\.0\.0\.1:\d+\s+\d+ ms$/m);
    expect(result.output).toMatch(/^TOPIC\s+BACKLOG\s+DEAD LETTERS$/m);
    expect(result.output).toMatch(/^collector\/payloads\s+\d+\s+\d+$/m);
    expect(result.output).toMatch(/^dead letters: \d+$/m);
    expect(result.output).toMatch(/^STAGE\s+RECEIVED\s+DONE\s+DEAD LETTERED\s+RETRIED\s+PENDING\s+BALANCED$/m);
    expect(result.output).toMatch(/^collector\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+[✓✗]$/m);
    expect(result.output).toContain('all reachable');
    expect(result.code).toBe(0);
    const json = JSON.parse((await runCli(['status', '--json'], env)).output.replace(/^checking.*\n/, '')) as { ok: boolean; services: Array<{ service: string }> };
    expect(json).toMatchObject({ ok: true, services: [{ service: 'private API', up: true }] });
  });

  it('exits 1 naming what is unreachable when the private API is not there', async () => {
    const result = await runCli(['status', '--timeout', '500'], { ...env, INFLOW_PRIVATE_PORT: String(await closedPort()) });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^private API\s+✗ down/m);
    expect(result.output).toContain('✗ private API is unreachable');
    expect(result.output).not.toContain('all reachable');
  });

  it('prints the timeline of a tracked event, and exits 1 for an event nobody saw', async () => {
    const tracked = await fetch(`${inflow.publicUrl}/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { id: 'demo' }, profile: { id: 'cli-trace' }, events: [{ type: 'signup' }] }),
    });
    const [eventId = ''] = ((await tracked.json()) as { events: string[] }).events;
    // Entries reach the trace in batches (every 200 ms): wait for the stored one.
    let result = await runCli(['trace', eventId], env);
    await waitFor(async () => /\sstored\s/.test((result = await runCli(['trace', eventId], env)).output), 10_000);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(new RegExp(`^event ${eventId}: \\d+ entr(y|ies)$`, 'm'));
    expect(result.output).toMatch(/^TIME\s+\+MS\s+ROLE\s+STAGE\s+FACTS$/m);
    expect(result.output).toMatch(/^\d{4}-\d\d-\d\dT\S+Z\s+\+\d+\s+\S+\s+stored\s+.*profile cli-trace/m);
    const json = JSON.parse((await runCli(['trace', eventId, '--json'], env)).output) as Array<{ stage: string }>;
    expect(json.map((entry) => entry.stage)).toContain('stored');

    const unknown = await runCli(['trace', 'no-such-event'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('traces are kept for traceTtlSeconds');
    for (const args of [['trace'], ['trace', 'a', '--request', 'b'], ['trace', 'a', '--limit', '3'], ['trace', '--profile', 'p', '--limit', '0']]) {
      const wrong = await runCli(args, env);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.output, args.join(' ')).toMatch(/^inflow: /);
    }
  });

  it('lists, creates, reads, disables and enables sources', async () => {
    const created = await runCli(['sources', 'create', 'cli-web', '--name', 'CLI site', '--origin', 'https://a.test', '--origin', 'https://b.test'], env);
    expect(created).toEqual({ code: 0, output: 'created source cli-web: enabled, "CLI site"\n' });
    const listed = await runCli(['sources', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.output).toMatch(/^ID\s+STATE\s+NAME\s+ORIGINS$/m);
    expect(listed.output).toMatch(/^cli-web\s+enabled\s+CLI site\s+https:\/\/a\.test,https:\/\/b\.test$/m);
    expect((await runCli(['sources', 'disable', 'cli-web'], env)).output).toBe('disabled source cli-web: disabled, "CLI site"\n');
    expect(JSON.parse((await runCli(['sources', 'get', 'cli-web'], env)).output)).toMatchObject({ id: 'cli-web', enabled: false });
    expect((await runCli(['sources', 'enable', 'cli-web', '--json'], env)).output).toContain('"enabled": true');
    const missing = await runCli(['sources', 'get', 'nope'], env);
    expect(missing.code).toBe(1);
    expect((await runCli(['sources', 'create', 'cli-web'], env)).code).toBe(1);
    expect((await runCli(['sources', 'rename'], env)).code).toBe(2);
    const help = (await runCli(['--help'], {})).output;
    for (const command of ['status', 'trace EVENT_ID', 'dead-letters list', 'dead-letters replay', 'sources list', 'sources create', 'destinations list', 'rules list']) {
      expect(help).toContain(`  ${command}`);
    }
    // A command's own help: its lines alone, exit 0, nothing called.
    const sourcesHelp = await runCli(['sources', '--help'], {});
    expect(sourcesHelp.code).toBe(0);
    expect(sourcesHelp.output).toContain('  sources create ID');
    expect(sourcesHelp.output).not.toContain('dead-letters');
    expect((await runCli(['dead-letters', '-h'], {})).output).toMatch(/^Usage: inflow \[--config file\.json\] dead-letters/);
  });
});

describe('inflow status and trace against a running distributed inflow', () => {
  let dir: string;
  let inflow: InflowProcess;
  let env: Record<string, string>;
  let redis: Redis;
  let prefix: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inflow-status-'));
    const engine = engineEnv('distributed');
    prefix = engine['INFLOW_STORAGE_PREFIX'] ?? '';
    inflow = await spawnInflow(dir, { ...engine, INFLOW_STATS_INTERVAL_MS: '200' });
    env = { ...engine, INFLOW_DATA_DIR: dir, INFLOW_PRIVATE_PORT: new URL(inflow.privateUrl).port, INFLOW_API_TOKEN: TOKEN };
    redis = new Redis(requiredEnv('INFLOW_REDIS_URL'));
  });
  afterAll(async () => {
    inflow.child.kill('SIGTERM');
    await inflow.exited;
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks Pulsar, Elasticsearch and Redis, shows live instances, and exits 1 when one is down', async () => {
    const board = new RedisStatsBoard({ redis, keyPrefix: prefix, ttlMs: 60_000, logger });
    // Another live instance publishes as often as the one running (every 200 ms; the board keeps three intervals).
    const elsewhere = () => board.publish({ instance: 'collector@elsewhere:7', role: 'collector', at: Date.now(), counters: { 'collector.events.received': 3, 'collector.events.stored': 3 }, gauges: {} });
    await elsewhere();
    const beat = setInterval(() => void elsewhere(), 100);
    const up = await runCli(['status'], env).finally(() => clearInterval(beat));
    for (const service of ['private API', 'pulsar', 'elasticsearch', 'redis']) expect(up.output).toMatch(new RegExp(`^${service}\\s+✓ up\\s+\\S+\\s+\\d+ ms`, 'm'));
    // The brokers' binary protocol, at the address the cluster's metadata names (none was given).
    expect(up.output).toMatch(/^pulsar \(binary protocol\)\s+✓ up\s+pulsar:\/\/127\.0\.0\.1:\d+\s+\d+ ms$/m);
    expect(up.output).toMatch(/^INSTANCE\s+ROLE\s+LAST SEEN$/m);
    expect(up.output).toMatch(/^collector@elsewhere:7\s+collector\s+\d+\.\d s$/m);
    expect(up.output).toMatch(/^collector\s+3\s+3\s+0\s+0\s+0\s+✓$/m);
    expect(up.output).toMatch(/^workflow\/events\s+\d+\s+\d+$/m);
    expect(up.code).toBe(0);

    const down = await runCli(['status', '--timeout', '500'], { ...env, INFLOW_REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    expect(down.code).toBe(1);
    expect(down.output).toMatch(/^redis\s+✗ down\s+redis:\/\/127\.0\.0\.1:\d+\s+ECONNREFUSED$/m);
    expect(down.output).toMatch(/^pulsar\s+✓ up/m);
    expect(down.output).toContain('✗ redis is unreachable');

    const noBroker = await runCli(['status', '--timeout', '500'], { ...env, INFLOW_PULSAR_SERVICE_URL: `pulsar://127.0.0.1:${await closedPort()}` });
    expect(noBroker.code).toBe(1);
    expect(noBroker.output).toMatch(/^pulsar \(binary protocol\)\s+✗ down\s+pulsar:\/\/127\.0\.0\.1:\d+\s+.*ECONNREFUSED/m);
    expect(noBroker.output).toContain('✗ pulsar (binary protocol) is unreachable');
  });

  it('prints a request\'s and a profile\'s timeline with the time since the first entry', async () => {
    const elsewhere = new RedisTraceStore({ redis, keyPrefix: prefix, ttlSeconds: 3_600, profileEntries: 200, maxEntries: 1_000_000, logger });
    const t = Date.now() - 500;
    await elsewhere.append([
      { at: t, stage: 'edge', role: 'edge', requestId: 'cli-req', profileId: 'cli-ada', eventIds: ['cli-e1', 'cli-e2'], detail: { status: 201 } },
      { at: t + 7, stage: 'queued', role: 'edge', requestId: 'cli-req', profileId: 'cli-ada', detail: { topic: 'collector/payloads', lane: 3 } },
      { at: t + 52, stage: 'stored', role: 'collector', requestId: 'cli-req', profileId: 'cli-ada', eventIds: ['cli-e1', 'cli-e2'] },
      { at: t + 130, stage: 'delivered', role: 'dispatch', profileId: 'cli-ada', eventIds: ['cli-e2'], detail: { destination: 'crm', status: 200 } },
    ]);
    const request = await runCli(['trace', '--request', 'cli-req'], env);
    expect(request.code).toBe(0);
    const lines = request.output.trimEnd().split('\n');
    expect(lines[0]).toBe('request cli-req: 3 entries');
    expect(lines[2]).toMatch(/^\S+\s+\+0\s+edge\s+edge\s+profile cli-ada, 2 events, status 201$/);
    expect(lines[3]).toMatch(/^\S+\s+\+7\s+edge\s+queued\s+profile cli-ada, topic collector\/payloads, lane 3$/);
    expect(lines[4]).toMatch(/^\S+\s+\+52\s+collector\s+stored\s+profile cli-ada, 2 events$/);
    const profile = await runCli(['trace', '--profile', 'cli-ada', '--limit', '2'], env);
    expect(profile.output).toMatch(/^profile cli-ada: 2 entries$/m);
    expect(profile.output).toMatch(/\+78\s+dispatch\s+delivered\s+event cli-e2, destination crm, status 200$/m);
    const event = await runCli(['trace', 'cli-e2'], env);
    expect(event.output).toMatch(/^\S+\s+\+0\s+edge\s+edge\s+request cli-req, profile cli-ada, status 201$/m);
  });
});
