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

/** A data folder for one test's processes, removed after it. */
function dataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Increments `purchases` on every purchase. */
const COUNT_RULE = { id: 'count', trigger: { eventTypes: ['purchase'] }, actions: [{ type: 'increment', trait: 'purchases' }] };

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

/** Queued purchases, in order per profile: n counts up within each profile. `untilFailure`: stop quietly at the first request that fails (the process was killed). */
async function sendPurchases(edge: InflowProcess, untilFailure = false): Promise<void> {
  for (let i = 0; i < EVENTS; i++) {
    const profile = `p${i % PROFILES}`;
    const n = Math.floor(i / PROFILES);
    const response = await fetch(`${edge.publicUrl}/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { id: 'demo' }, profile: { id: profile }, session: { id: `${profile}-s` }, events: [{ id: `${profile}-${n}`, type: 'purchase', properties: { n } }], options: { queue: true } }),
    }).catch((error: unknown) => {
      if (untilFailure) return undefined;
      throw error;
    });
    if (!response) return;
    expect(response.status).toBe(201);
  }
}

async function defineRule(edge: InflowProcess, rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${edge.privateUrl}/rules`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/** Each profile's `purchases` trait and event count, as the private API answers them. */
async function profileCounts(api: InflowProcess): Promise<Array<{ purchases: number; events: number }>> {
  return Promise.all(
    Array.from({ length: PROFILES }, async (_, p) => {
      const response = await api.api(`/profiles/p${p}`);
      if (response.status !== 200) return { purchases: 0, events: 0 };
      const profile = (await response.json()) as { traits: Record<string, unknown>; eventCount: number };
      return { purchases: Number(profile.traits['purchases'] ?? 0), events: profile.eventCount };
    }),
  );
}

const totalPurchases = async (api: InflowProcess): Promise<number> => (await profileCounts(api)).reduce((sum, counts) => sum + counts.purchases, 0);

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
    const dir = dataDir('inflow-dispatch-');
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
    const dir = dataDir('inflow-dispatch-');
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
    const dir = dataDir('inflow-workflow-');
    const edge = await start(dir, env, 'edge');
    await defineRule(edge, COUNT_RULE);
    await start(dir, env, 'collector');
    const first = await start(dir, env, 'workflow');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await sendPurchases(edge);
    await waitFor(async () => (await totalPurchases(edge)) >= EVENTS / 4, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await start(dir, env, 'workflow');
    await waitFor(async () => (await totalPurchases(edge)) >= EVENTS, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await profileCounts(edge)).map((counts) => counts.purchases)).toEqual(Array.from({ length: PROFILES }, () => EVENTS / PROFILES));
  }, 240_000);

  it('embedded: the whole process killed mid-load with rules, started again and sent everything again, leaves every counter exact and every emit once', async () => {
    const env = { ...engineEnv('embedded'), INFLOW_WORKER_WAIT_MS: '20', INFLOW_DESTINATION_REFRESH_MS: '200', INFLOW_COLLECTOR_BATCH_SIZE: '5' };
    const dir = dataDir('inflow-rules-');
    const first = await start(dir, env, 'run');
    await defineRule(first, COUNT_RULE);
    await defineRule(first, { id: 'thanks', trigger: { eventTypes: ['purchase'] }, actions: [{ type: 'emit', event: { type: 'thanked', properties: {} } }] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const posting = sendPurchases(first, true);
    await waitFor(async () => (await totalPurchases(first)) >= EVENTS / 4, 60_000);
    const countedBeforeKill = await totalPurchases(first);
    first.child.kill('SIGKILL');
    await first.exited;
    await posting;
    expect(countedBeforeKill).toBeLessThan(EVENTS);
    const second = await start(dir, env, 'run');
    // The client sends every purchase again (those answered before the kill too): each counts once.
    await sendPurchases(second);
    await waitFor(async () => (await totalPurchases(second)) >= EVENTS, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Per profile: its purchases counted once each, and one emitted `thanked` beside each purchase.
    expect(await profileCounts(second)).toEqual(Array.from({ length: PROFILES }, () => ({ purchases: EVENTS / PROFILES, events: (2 * EVENTS) / PROFILES })));
  }, 240_000);
});
