import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineEnv, ENGINES, SETTLE_MS, startInflow, type TestInflow } from './support/start-inflow.js';

interface Profile {
  id: string;
  traits: Record<string, unknown>;
  segments?: string[];
}
interface StoredEvent {
  id: string;
  type: string;
  properties: Record<string, unknown>;
  context: { workflow?: { depth: number; rule: string } };
}

describe.each(ENGINES)('rules on the %s engine', (engine) => {
  let app: TestInflow;
  const post = (path: string, body: unknown): Promise<Response> =>
    app.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_DESTINATION_REFRESH_MS: '200' });
    expect((await post('/sources', { id: 'web' })).status).toBe(201);
    const rules = [
      {
        id: 'buyer',
        trigger: { eventTypes: ['order-completed'] },
        actions: [
          { type: 'increment', trait: 'purchases' },
          { type: 'set-trait', trait: 'lastOrder', value: '{{event.properties.orderId}}' },
          { type: 'add-segment', segment: 'buyer' },
        ],
      },
      {
        id: 'vip',
        trigger: { eventTypes: ['order-completed'] },
        condition: { field: 'profile.traits.purchases', op: 'gte', value: 3 },
        actions: [{ type: 'emit', event: { type: 'vip-reached', properties: { purchases: '{{profile.traits.purchases}}' } } }],
      },
      { id: 'echo', trigger: { eventTypes: ['ping'] }, maxDepth: 2, actions: [{ type: 'emit', event: { type: 'ping' } }] },
    ];
    for (const rule of rules) {
      const response = await post('/rules', rule);
      expect(response.status, await response.clone().text()).toBe(201);
    }
    await new Promise((resolve) => setTimeout(resolve, 600)); // the collectors see the rules
  });
  afterAll(() => app?.close());

  const track = (profile: string, events: unknown[], queue: boolean): Promise<Response> =>
    app.track({ source: { id: 'web' }, profile: { id: profile }, session: { id: `${profile}-s` }, events, options: { queue } });

  it('runs each rule once per event: counters exact through client retries, emitted events once', async () => {
    const profiles = ['ann', 'bob'];
    for (let n = 1; n <= 5; n++) {
      for (const profile of profiles) {
        const events = [{ id: `${profile}-order-${n}`, type: 'order-completed', properties: { orderId: `o-${n}` } }];
        expect((await track(profile, events, n % 2 === 0)).status).toBeLessThan(300);
        // The client did not hear the answer and sends the same events again.
        if (n === 2 || n === 4) expect((await track(profile, events, true)).status).toBe(201);
      }
    }
    for (const profile of profiles) {
      const stored = await app.eventually<Profile>(`/profiles/${profile}`, (p) => p.traits['purchases'] === 5, SETTLE_MS[engine] + 20_000);
      expect(stored.segments).toEqual(['buyer']);
      const { events } = await app.eventually<{ events: StoredEvent[] }>(
        `/profiles/${profile}/events?limit=100`,
        (body) => body.events.filter((e) => e.type === 'vip-reached').length >= 3,
      );
      const vip = events.filter((e) => e.type === 'vip-reached');
      expect(vip.map((e) => e.properties['purchases']).sort()).toEqual([3, 4, 5]);
      expect(vip.every((e) => e.context.workflow?.rule === 'vip' && e.context.workflow.depth === 1)).toBe(true);
    }
    // Settled: nothing more arrives later (no second run of any rule).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const profile of profiles) {
      expect(((await (await app.api(`/profiles/${profile}`)).json()) as Profile).traits['purchases']).toBe(5);
      const { events } = (await (await app.api(`/profiles/${profile}/events?limit=100`)).json()) as { events: StoredEvent[] };
      expect(events.filter((e) => e.type === 'vip-reached')).toHaveLength(3);
    }
  });

  it('bounds a rule that triggers itself by its maxDepth', async () => {
    expect((await track('pinger', [{ id: 'ping-0', type: 'ping' }], true)).status).toBe(201);
    const { events } = await app.eventually<{ events: StoredEvent[] }>('/profiles/pinger/events?limit=100', (body) => body.events.length >= 4, SETTLE_MS[engine] + 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const settled = (await (await app.api('/profiles/pinger/events?limit=100')).json()) as { events: StoredEvent[] };
    expect(settled.events.map((e) => e.context.workflow?.depth ?? 0).sort()).toEqual([0, 1, 2, 3]);
    expect(events.every((e) => e.type === 'ping')).toBe(true);
  });
});

describe.each(ENGINES)('delayed rule actions on the %s engine', (engine) => {
  it('survive a restart of every role, fire once when due, and honour their cancel condition', async () => {
    const env = { ...engineEnv(engine), INFLOW_DESTINATION_REFRESH_MS: '200', INFLOW_WORKFLOW_POLL_MS: '100' };
    const dir = mkdtempSync(join(tmpdir(), 'inflow-delay-'));
    let app = await startInflow(env, dir);
    try {
      const post = (path: string, body: unknown): Promise<Response> =>
        app.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/sources', { id: 'web' })).status).toBe(201);
      for (const rule of [
        {
          id: 'nudge',
          trigger: { eventTypes: ['cart-abandoned'] },
          actions: [
            { type: 'add-segment', segment: 'abandoner' },
            { type: 'delay', ms: 4_000, cancelIf: { field: 'profile.traits.ordered', op: 'eq', value: true } },
            { type: 'emit', event: { type: 'nudge-sent' } },
            { type: 'add-segment', segment: 'nudged' },
          ],
        },
        { id: 'ordered', trigger: { eventTypes: ['order-completed'] }, actions: [{ type: 'set-trait', trait: 'ordered', value: true }] },
      ]) {
        expect((await post('/rules', rule)).status).toBe(201);
      }
      await new Promise((resolve) => setTimeout(resolve, 600));
      const send = (profile: string, type: string): Promise<Response> =>
        app.track({ source: { id: 'web' }, profile: { id: profile }, session: { id: `${profile}-s` }, events: [{ id: `${profile}-${type}`, type }] });
      expect((await send('amy', 'cart-abandoned')).status).toBe(200);
      expect((await send('ben', 'cart-abandoned')).status).toBe(200);
      expect((await send('cal', 'cart-abandoned')).status).toBe(200);
      // Waiting runs are listed, and one is cancelled through the API.
      type Schedules = { schedules: Array<{ id: string; profileId: string; rule: string; event: { id: string } }> };
      const waiting = await app.eventually<Schedules>('/schedules?profile=cal', (body) => body.schedules.length === 1, SETTLE_MS[engine] + 10_000);
      expect(waiting.schedules[0]).toMatchObject({ profileId: 'cal', rule: 'nudge', event: { id: 'cal-cart-abandoned' } });
      const id = waiting.schedules[0]?.id ?? '';
      expect((await app.api(`/schedules/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await app.api(`/schedules/${id}`, { method: 'DELETE' })).status).toBe(404);
      await app.eventually<Profile>('/profiles/ben', (p) => (p.segments ?? []).includes('abandoner'), SETTLE_MS[engine] + 10_000);
      await app.eventually<Profile>('/profiles/amy', (p) => (p.segments ?? []).includes('abandoner'), SETTLE_MS[engine] + 10_000);
      expect((await send('ben', 'order-completed')).status).toBe(200);
      await app.eventually<Profile>('/profiles/ben', (p) => p.traits['ordered'] === true, SETTLE_MS[engine] + 10_000);

      // Every role stops before the delay is due, and starts again on the same data.
      await app.inflow.close();
      app = await startInflow(env, dir);

      const amy = await app.eventually<Profile>('/profiles/amy', (p) => (p.segments ?? []).includes('nudged'), SETTLE_MS[engine] + 20_000);
      expect(amy.segments).toEqual(['abandoner', 'nudged']);
      const nudges = await app.eventually<{ events: StoredEvent[] }>('/profiles/amy/events?limit=50', (b) => b.events.some((e) => e.type === 'nudge-sent'));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const settled = (await (await app.api('/profiles/amy/events?limit=50')).json()) as { events: StoredEvent[] };
      expect(settled.events.filter((e) => e.type === 'nudge-sent')).toHaveLength(1);
      expect(nudges.events.length).toBeGreaterThan(0);
      const ben = (await (await app.api('/profiles/ben')).json()) as Profile;
      expect(ben.segments).toEqual(['abandoner']);
      const benEvents = (await (await app.api('/profiles/ben/events?limit=50')).json()) as { events: StoredEvent[] };
      expect(benEvents.events.map((e) => e.type).sort()).toEqual(['cart-abandoned', 'order-completed']);
      const cal = (await (await app.api('/profiles/cal')).json()) as Profile;
      expect(cal.segments).toEqual(['abandoner']);
      expect(((await (await app.api('/schedules')).json()) as Schedules).schedules).toEqual([]);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
