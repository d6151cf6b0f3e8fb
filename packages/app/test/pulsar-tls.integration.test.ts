import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { requiredEnv } from '../../workers/src/test-support/services.js';
import { engineEnv } from './support/start-inflow.js';
import { runCli, spawnInflow, waitFor, type InflowProcess } from './support/spawn-inflow.js';

// The stack's Pulsar also listens with TLS, under a certificate of the stack's own CA, and
// requires its token there too (scripts/stack/services.mjs). A process trusts that CA when
// NODE_EXTRA_CA_CERTS names it, as an operator would do for a cluster with a private CA.
const processes: InflowProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'inflow-tls-'));
afterEach(() => {
  for (const p of processes.splice(0)) p.child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tls = {
  INFLOW_PULSAR_URL: requiredEnv('INFLOW_STACK_PULSAR_TLS_URL'),
  NODE_EXTRA_CA_CERTS: requiredEnv('INFLOW_STACK_TLS_CA_FILE'),
};

async function storedIds(env: Record<string, string>): Promise<string[]> {
  const es = env['INFLOW_ELASTICSEARCH_URL'] as string;
  const prefix = env['INFLOW_STORAGE_PREFIX'] as string;
  await fetch(`${es}/${prefix}-events-*/_refresh`, { method: 'POST' });
  const body = (await (await fetch(`${es}/${prefix}-events-*/_search?size=100&_source=id`, { method: 'POST' })).json()) as { hits?: { hits: Array<{ _source: { id: string } }> } };
  return (body.hits?.hits ?? []).map((hit) => hit._source.id).sort();
}

describe.each([
  ['the binary protocol at pulsar+ssl://', { INFLOW_PULSAR_TRANSPORT: 'binary', INFLOW_PULSAR_SERVICE_URL: requiredEnv('INFLOW_STACK_PULSAR_TLS_SERVICE_URL') }],
  // No service URL: the admin API (https) names the brokers' TLS address (brokerServiceUrlTls).
  ['the binary protocol at the TLS address the cluster names', { INFLOW_PULSAR_TRANSPORT: 'binary', INFLOW_PULSAR_SERVICE_URL: '' }],
  ['the WebSocket API at wss://', { INFLOW_PULSAR_TRANSPORT: 'websocket' }],
])('the distributed engine on Pulsar with TLS and a token, over %s', (_how, transport) => {
  it('stores what the edge queued', async () => {
    const env = { ...engineEnv('distributed'), ...tls, ...transport, INFLOW_WORKER_WAIT_MS: '50' };
    const edge = await spawnInflow(dir, env, 'edge');
    processes.push(edge);
    processes.push(await spawnInflow(dir, env, 'collector'));
    const ids = ['tls-1', 'tls-2', 'tls-3'];
    const response = await fetch(`${edge.publicUrl}/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { id: 'demo' }, profile: { id: 'p-tls' }, session: { id: 's-tls' }, events: ids.map((id) => ({ id, type: 'page-view' })), options: { queue: true } }),
    });
    expect(response.status).toBe(201);
    await waitFor(async () => (await storedIds(env)).length === ids.length, 30_000);
    expect(await storedIds(env)).toEqual(ids);
  }, 90_000);
});

describe('inflow status against Pulsar with TLS', () => {
  it('finds the brokers at their TLS address in the cluster metadata when the admin API is reached over https', async () => {
    const env = { ...engineEnv('distributed'), ...tls, INFLOW_PULSAR_SERVICE_URL: '', INFLOW_DATA_DIR: dir, INFLOW_PRIVATE_PORT: '9' };
    const { output } = await runCli(['status'], env);
    expect(output).toMatch(/pulsar +✓ up +https:\/\/127\.0\.0\.1:\d+ /);
    expect(output).toMatch(/pulsar \(binary protocol\) +✓ up +pulsar\+ssl:\/\/127\.0\.0\.1:\d+ /);
  }, 60_000);
});

describe('Pulsar over TLS with a certificate the process does not trust', () => {
  it('refuses to start, and the error names the certificate', async () => {
    const env = { ...engineEnv('distributed'), INFLOW_PULSAR_URL: tls.INFLOW_PULSAR_URL, INFLOW_DATA_DIR: dir };
    const { code, output } = await runCli(['edge'], env);
    expect(code).not.toBe(0);
    expect(output).toMatch(/pulsar admin GET \/admin\/v2\/\S+: fetch failed: .*certificate/i);
  }, 60_000);
});
