import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMisbehavingReceiver, type MisbehavingReceiver } from './support/misbehaving-receiver.js';
import { spawnInflow, TOKEN, waitFor, type InflowProcess } from './support/spawn-inflow.js';
import { engineEnv } from './support/start-inflow.js';

const PROFILES = 8;
const EVENTS = 240;

const processes: InflowProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const p of processes.splice(0)) p.child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(dir: string, env: Record<string, string>, role: string): Promise<InflowProcess> {
  const p = await spawnInflow(dir, env, role);
  processes.push(p);
  return p;
}

/** A receiver slow enough (20 ms an answer) that a kill lands mid-delivery. */
async function slowReceiver(): Promise<MisbehavingReceiver> {
  const receiver = await startMisbehavingReceiver(() => ({ status: 200, delayMs: 20 }));
  cleanups.push(() => receiver.close());
  return receiver;
}

async function createDestination(edge: InflowProcess, url: string): Promise<void> {
  const response = await fetch(`${edge.privateUrl}/destinations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'crm', webhook: { url }, trigger: { eventTypes: ['purchase'] }, mapping: { id: '{{event.id}}', who: '{{profile.id}}', n: '{{event.properties.n}}' } }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/** Queued purchases, in order per profile: n counts up within each profile. */
async function sendPurchases(edge: InflowProcess): Promise<void> {
  for (let i = 0; i < EVENTS; i++) {
    const profile = `p${i % PROFILES}`;
    const n = Math.floor(i / PROFILES);
    const response = await fetch(`${edge.publicUrl}/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { id: 'demo' }, profile: { id: profile }, session: { id: `${profile}-s` }, events: [{ id: `${profile}-${n}`, type: 'purchase', properties: { n } }], options: { queue: true } }),
    });
    expect(response.status).toBe(201);
  }
}

function expectOncePerEventInOrder(receiver: MisbehavingReceiver): void {
  expect(receiver.applied).toHaveLength(EVENTS);
  for (let p = 0; p < PROFILES; p++) {
    const order = receiver.applied.filter((d) => d.body['who'] === `p${p}`).map((d) => d.body['n']);
    expect(order).toEqual(Array.from({ length: EVENTS / PROFILES }, (_, n) => n));
  }
}

describe('dispatch and workflow survive kill -9', () => {
  it('distributed: the dispatch role killed mid-delivery and started again delivers every event once, in order', async () => {
    const env = { ...engineEnv('distributed'), INFLOW_WORKER_WAIT_MS: '50', INFLOW_DESTINATION_REFRESH_MS: '200' };
    const dir = mkdtempSync(join(tmpdir(), 'inflow-dispatch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const receiver = await slowReceiver();
    const edge = await start(dir, env, 'edge');
    await createDestination(edge, receiver.url);
    await start(dir, env, 'collector');
    const first = await start(dir, env, 'dispatch');
    await sendPurchases(edge);
    await waitFor(() => receiver.applied.length >= EVENTS / 4, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = receiver.applied.length;
    await start(dir, env, 'dispatch');
    await waitFor(() => receiver.applied.length >= EVENTS, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(killedAt).toBeLessThan(EVENTS);
    expectOncePerEventInOrder(receiver);
  }, 240_000);

  it('embedded: the whole process killed mid-delivery and started again on its data delivers every event once, in order', async () => {
    const env = { ...engineEnv('embedded'), INFLOW_WORKER_WAIT_MS: '20', INFLOW_DESTINATION_REFRESH_MS: '200' };
    const dir = mkdtempSync(join(tmpdir(), 'inflow-dispatch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const receiver = await slowReceiver();
    const first = await start(dir, env, 'run');
    await createDestination(first, receiver.url);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sendPurchases(first);
    await waitFor(() => receiver.applied.length >= EVENTS / 4, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = receiver.applied.length;
    await start(dir, env, 'run');
    await waitFor(() => receiver.applied.length >= EVENTS, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(killedAt).toBeLessThan(EVENTS);
    expectOncePerEventInOrder(receiver);
  }, 240_000);

  it('distributed: the workflow role killed mid-run and started again leaves every counter exact', async () => {
    const env = { ...engineEnv('distributed'), INFLOW_WORKER_WAIT_MS: '50', INFLOW_DESTINATION_REFRESH_MS: '200', INFLOW_COLLECTOR_BATCH_SIZE: '5' };
    const dir = mkdtempSync(join(tmpdir(), 'inflow-workflow-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const edge = await start(dir, env, 'edge');
    const rule = await fetch(`${edge.privateUrl}/rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'count', trigger: { eventTypes: ['purchase'] }, actions: [{ type: 'increment', trait: 'purchases' }] }),
    });
    expect(rule.status, await rule.clone().text()).toBe(201);
    await start(dir, env, 'collector');
    const first = await start(dir, env, 'workflow');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await sendPurchases(edge);
    const purchases = async (): Promise<number[]> =>
      Promise.all(
        Array.from({ length: PROFILES }, async (_, p) => {
          const response = await edge.api(`/profiles/p${p}`);
          return response.status === 200 ? Number(((await response.json()) as { traits: Record<string, unknown> }).traits['purchases'] ?? 0) : 0;
        }),
      );
    const total = async (): Promise<number> => (await purchases()).reduce((sum, n) => sum + n, 0);
    await waitFor(async () => (await total()) >= EVENTS / 4, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await start(dir, env, 'workflow');
    await waitFor(async () => (await total()) >= EVENTS, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await purchases()).toEqual(Array.from({ length: PROFILES }, () => EVENTS / PROFILES));
  }, 240_000);
});
