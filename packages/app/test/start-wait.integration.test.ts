import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineEnv } from './support/start-inflow.js';
import { spawnInflow, waitFor, CLI } from './support/spawn-inflow.js';
import { requiredEnv } from '../../workers/src/test-support/services.js';
import { spawn, type ChildProcess } from 'node:child_process';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/**
 * A port nothing listens on yet (taken below the kernel's ephemeral range, so that no other
 * test's port 0 lands on it meanwhile); `open()` then forwards it to `target` (a service coming up).
 */
async function lateService(target: string): Promise<{ url: string; open(): Promise<void> }> {
  const port = await unusedPort();
  const to = new URL(target);
  let server: Server | undefined;
  cleanups.push(() => server?.close());
  return {
    url: `${to.protocol}//${to.username ? `${to.username}:${to.password}@` : ''}127.0.0.1:${port}${to.pathname === '/' ? '' : to.pathname}`,
    async open() {
      server = createServer((client) => {
        const upstream = connect(Number(to.port), to.hostname);
        client.pipe(upstream).pipe(client);
        const end = (): void => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end);
        upstream.on('error', end);
      });
      await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    },
  };
}

async function unusedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return port;
    }
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Each late service's address, by the variable that names it. */
function lateUrls(services: Record<string, { url: string }>): Record<string, string> {
  return Object.fromEntries(Object.entries(services).map(([key, service]) => [key, service.url]));
}

/** Starts a role (killed after the test) with ports of its own; its output so far, and its health address once it says it. */
async function startLate(role: string, env: Record<string, string>): Promise<{ child: ChildProcess; output(): string; health(): Promise<string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'inflow-start-wait-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const child: ChildProcess = spawn(process.execPath, [CLI, role], {
    env: { ...process.env, ...env, INFLOW_DATA_DIR: dir, INFLOW_PUBLIC_PORT: '0', INFLOW_PRIVATE_PORT: '0', INFLOW_HEALTH_PORT: '0', INFLOW_API_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const health = async (): Promise<string> => {
    await waitFor(() => /health and metrics on http:\/\/\S+/.test(output), 30_000, 'the health address');
    return /health and metrics on (http:\/\/\S+)/.exec(output)?.[1] as string;
  };
  return { child, output: () => output, health };
}

/** POST /track of one queued page view of `profile` to `source`. */
function queuedPageView(publicUrl: string, source: string, profile: string): Promise<Response> {
  return fetch(`${publicUrl}/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source: { id: source }, profile: { id: profile }, events: [{ type: 'page-view' }], options: { queue: true } }),
  });
}

/** The private API's token of the roles started here. */
const TOKEN = 'start-wait-token-0123456789';

describe('a role started before its services', () => {
  it('edge: waits for Redis, Pulsar\'s admin API and its binary protocol (not ready, alive), then starts without Elasticsearch: 503 for what needs it while it is away, its private API opens it on first use', async () => {
    const env = engineEnv('distributed');
    const services = {
      INFLOW_REDIS_URL: await lateService(env['INFLOW_REDIS_URL'] as string),
      INFLOW_ELASTICSEARCH_URL: await lateService(env['INFLOW_ELASTICSEARCH_URL'] as string),
      INFLOW_PULSAR_URL: await lateService(env['INFLOW_PULSAR_URL'] as string),
      // The brokers' binary protocol, apart from the admin API (its port can be down while the admin API answers).
      INFLOW_PULSAR_SERVICE_URL: await lateService(requiredEnv('INFLOW_PULSAR_SERVICE_URL')),
    };
    // Without the demo (whose source the start would wait for: see below).
    const { child, output, health } = await startLate('edge', { ...env, ...lateUrls(services), INFLOW_SERVE_DEMO: 'false' });

    // Each service in turn: the role names the one it waits for, and stays up (alive, not ready).
    await waitFor(() => /WARN .*distributed engine: cache unavailable: redis at redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED.*; attempt 2/.test(output()), 30_000, 'a warning naming Redis');
    expect((await fetch(`${await health()}/healthz`)).status).toBe(200);
    expect((await fetch(`${await health()}/readyz`)).status).toBe(503);
    await services.INFLOW_REDIS_URL.open();
    await waitFor(() => /WARN .*distributed engine: pulsar admin GET \/admin\/v2\/\S+: fetch failed/.test(output()), 30_000, 'a warning naming Pulsar');
    await services.INFLOW_PULSAR_URL.open();
    await waitFor(() => /WARN .*distributed engine: pulsar's binary protocol at pulsar:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/.test(output()), 30_000, 'a warning naming the binary protocol');
    expect(output()).not.toMatch(/inflow started/);
    expect((await fetch(`${await health()}/readyz`)).status).toBe(503);
    await services.INFLOW_PULSAR_SERVICE_URL.open();

    await waitFor(() => /inflow started/.test(output()), 60_000, `the start (output:\n${output()})`);
    expect(output()).toMatch(/INFO .*distributed engine: connected after \d+ attempts/);
    expect(output()).toMatch(/distributed engine connected .*elasticsearch="http:\/\/127\.0\.0\.1:\d+ \(on first use\)"/);
    // The start did not wait for Elasticsearch.
    expect(output()).not.toMatch(/distributed engine: store unavailable/);
    expect((await fetch(`${await health()}/readyz`)).status).toBe(200);
    const publicUrl = /public edge listening on (http:\/\/\S+)/.exec(output())?.[1] as string;
    const privateUrl = /private API listening on (http:\/\/\S+)/.exec(output())?.[1] as string;
    const tracked = await queuedPageView(publicUrl, 'late-source', 'late');
    // A source Redis does not hold, and Elasticsearch away: the source cannot be checked, a 503 (never 403 or 500).
    expect(tracked.status, await tracked.text()).toBe(503);

    // The private API needs Elasticsearch: 503 while it is away, then answers once it is there.
    const auth = { authorization: `Bearer ${TOKEN}` };
    const away = await fetch(`${privateUrl}/profiles/late`, { headers: auth });
    expect(away.status, await away.text()).toBe(503);
    await services.INFLOW_ELASTICSEARCH_URL.open();
    await waitFor(async () => (await fetch(`${privateUrl}/profiles/late`, { headers: auth })).status === 404, 30_000, 'the private API once Elasticsearch is there');
    expect(output()).toMatch(/INFO .*elasticsearch connected on first use/);
    const created = await fetch(`${privateUrl}/sources`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'late-source', name: 'Late' }) });
    expect(created.status, await created.text()).toBe(201);
    const queued = await queuedPageView(publicUrl, 'late-source', 'late');
    expect(queued.status, await queued.text()).toBe(201);
    child.kill('SIGTERM');
  }, 120_000);

  it('edge: queues requests of a source Redis holds while Elasticsearch is away from the start; preflights get 503 until it answers', async () => {
    const env = engineEnv('distributed');
    // The source is made (in Elasticsearch and Redis) by a role that opens Elasticsearch at start.
    const api = await startLate('api', env);
    await waitFor(() => /inflow started/.test(api.output()), 60_000, 'the api role');
    const privateApi = /private API listening on (http:\/\/\S+)/.exec(api.output())?.[1] as string;
    const made = await fetch(`${privateApi}/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'cached', name: 'Cached', allowedOrigins: ['https://shop.example'] }),
    });
    expect(made.status, await made.text()).toBe(201);
    api.child.kill('SIGTERM');

    const elasticsearch = await lateService(env['INFLOW_ELASTICSEARCH_URL'] as string);
    const edge = await startLate('edge', { ...env, INFLOW_ELASTICSEARCH_URL: elasticsearch.url, INFLOW_SERVE_DEMO: 'false' });
    await waitFor(() => /inflow started/.test(edge.output()), 60_000, 'the edge, with Elasticsearch away');
    const publicUrl = /public edge listening on (http:\/\/\S+)/.exec(edge.output())?.[1] as string;
    const queued = await queuedPageView(publicUrl, 'cached', 'p-away');
    expect(queued.status, await queued.text()).toBe(201);
    // CORS preflights need the list of sources, which only the store gives: 503 (never 500) while it is away, then answered.
    for (const path of ['/track', '/v1/batch']) {
      const away = await fetch(`${publicUrl}${path}`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
      expect([path, away.status, away.headers.get('retry-after')]).toEqual([path, 503, '1']);
    }
    await elasticsearch.open();
    await waitFor(async () => (await fetch(`${publicUrl}/track`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } })).status === 204, 30_000, 'the preflight once Elasticsearch is there');
    const refused = await fetch(`${publicUrl}/v1/batch`, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
    expect(refused.status).toBe(403);
    // One warning for the failed opens (one reason), one line once it opened.
    expect(edge.output().match(/not opened on first use/g)?.length).toBe(1);
    expect(edge.output()).toMatch(/INFO .*elasticsearch connected on first use \(after failed attempts\)/);
    edge.child.kill('SIGTERM');
  }, 120_000);

  it('edge serving the demo: waits for the store to make the demo\'s source before it listens (its first requests never get 403)', async () => {
    const env = engineEnv('distributed');
    const elasticsearch = await lateService(env['INFLOW_ELASTICSEARCH_URL'] as string);
    const { output, health } = await startLate('edge', { ...env, INFLOW_ELASTICSEARCH_URL: elasticsearch.url, INFLOW_SERVE_DEMO: 'true' });
    await waitFor(() => /WARN .*demo source "demo" cannot be made yet, waiting for the store/.test(output()), 60_000, `a warning naming the demo source (output:\n${output()})`);
    expect(output()).not.toMatch(/public edge listening|inflow started/);
    expect((await fetch(`${await health()}/readyz`)).status).toBe(503);
    await elasticsearch.open();
    await waitFor(() => /inflow started/.test(output()), 60_000, `the start (output:\n${output()})`);
    expect(output()).toMatch(/INFO .*demo source "demo" ready/);
    const publicUrl = /public edge listening on (http:\/\/\S+)/.exec(output())?.[1] as string;
    const tracked = await queuedPageView(publicUrl, 'demo', 'demo-visitor');
    expect(tracked.status, await tracked.text()).toBe(201);
  }, 120_000);

  it('collector: waits for Elasticsearch (not ready, alive, naming it), then starts', async () => {
    const env = engineEnv('distributed');
    const elasticsearch = await lateService(env['INFLOW_ELASTICSEARCH_URL'] as string);
    const { output, health } = await startLate('collector', { ...env, INFLOW_ELASTICSEARCH_URL: elasticsearch.url });
    await waitFor(() => /WARN .*distributed engine: store unavailable: .*ECONNREFUSED/.test(output()), 30_000, 'a warning naming Elasticsearch');
    expect((await fetch(`${await health()}/healthz`)).status).toBe(200);
    expect((await fetch(`${await health()}/readyz`)).status).toBe(503);
    expect(output()).not.toMatch(/inflow started/);
    await elasticsearch.open();
    await waitFor(() => /inflow started/.test(output()), 60_000, `the start (output:\n${output()})`);
    expect((await fetch(`${await health()}/readyz`)).status).toBe(200);
  }, 120_000);

  it.skipIf(!process.env['INFLOW_PULSAR_TOKEN'])('still stops at once on a refused token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inflow-start-wait-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const started = Date.now();
    const error = await spawnInflow(dir, { ...engineEnv('distributed'), INFLOW_PULSAR_TOKEN: 'not-a-token' }, 'collector').catch((e: unknown) => e);
    expect(String(error)).toMatch(/failed to start: .*401.*did not accept the token/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('stops at once when Redis refuses its password', async () => {
    const port = await unusedPort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', 'right-password', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    cleanups.push(() => redis.kill('SIGKILL'));
    await waitFor(() => listening(port), 10_000, 'redis-server listening');
    const dir = mkdtempSync(join(tmpdir(), 'inflow-start-wait-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const started = Date.now();
    const error = await spawnInflow(dir, { ...engineEnv('distributed'), INFLOW_REDIS_URL: `redis://:wrong-password@127.0.0.1:${port}` }, 'collector').catch((e: unknown) => e);
    expect(String(error)).toMatch(/failed to start: .*redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the connection: WRONGPASS/);
    expect(String(error)).not.toContain('wrong-password');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
