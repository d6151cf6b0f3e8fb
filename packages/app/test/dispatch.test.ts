import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMisbehavingReceiver, type MisbehavingReceiver } from './support/misbehaving-receiver.js';
import { waitFor } from './support/spawn-inflow.js';
import { engineEnv, ENGINES, SETTLE_MS, startInflow, type TestInflow } from './support/start-inflow.js';

const PROFILES = ['ann', 'bob', 'cyd'];
const EVENTS_PER_PROFILE = 12;

describe.each(ENGINES)('dispatch to a webhook on the %s engine', (engine) => {
  let app: TestInflow;
  let receiver: MisbehavingReceiver;
  let refusing: MisbehavingReceiver;

  beforeAll(async () => {
    // 500s, a 429 with Retry-After, a request left hanging past the timeout, then 200 (and now and then a 503).
    receiver = await startMisbehavingReceiver((n) => {
      if (n <= 3) return { status: 500 };
      if (n === 4) return { status: 429, headers: { 'retry-after': '1' } };
      if (n === 5) return 'hang';
      return n % 7 === 0 ? { status: 503 } : { status: 200 };
    });
    refusing = await startMisbehavingReceiver(() => ({ status: 422 }));
    app = await startInflow({ ...engineEnv(engine), INFLOW_DESTINATION_REFRESH_MS: '200' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'web' }) })).status).toBe(201);
    const create = (body: unknown): Promise<Response> =>
      app.api('/destinations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const crm = await create({
      id: 'crm',
      webhook: { url: `${receiver.url}/hooks`, timeoutMs: 1_000 },
      trigger: { eventTypes: ['purchase'] },
      mapping: { id: '{{event.id}}', who: '{{profile.id}}', n: '{{event.properties.n}}' },
      delivery: { minAttempts: 50, maxAgeMs: 600_000, concurrency: 4 },
    });
    expect(crm.status, await crm.clone().text()).toBe(201);
    const strict = await create({ id: 'strict', webhook: { url: refusing.url }, trigger: { eventTypes: ['purchase'], condition: { field: 'event.properties.n', op: 'eq', value: 0 } } });
    expect(strict.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the collectors see the destinations
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await refusing?.close();
  });

  it('delivers every matching event once to the application, in order per profile, through failures', async () => {
    for (let n = 0; n < EVENTS_PER_PROFILE; n++) {
      for (const profile of PROFILES) {
        const events = [
          { id: `${profile}-buy-${n}`, type: 'purchase', properties: { n } },
          { id: `${profile}-view-${n}`, type: 'page-view', properties: { n } },
        ];
        const response = await app.track({ source: { id: 'web' }, profile: { id: profile }, session: { id: `${profile}-s` }, events, options: { queue: true } });
        expect(response.status).toBeLessThan(300);
      }
    }
    const expected = PROFILES.length * EVENTS_PER_PROFILE;
    await waitFor(() => receiver.applied.length >= expected, SETTLE_MS[engine] + 30_000, 'every purchase applied');
    // A client's retry of a request already stored is dispatched again, with the same key: the application sees it once.
    const sentBefore = receiver.requests.length;
    const retry = await app.track({ source: { id: 'web' }, profile: { id: 'ann' }, session: { id: 'ann-s' }, events: [{ id: 'ann-buy-3', type: 'purchase', properties: { n: 3 } }] });
    expect(retry.status).toBe(200);
    await waitFor(() => receiver.requests.slice(sentBefore).some((r) => r.status === 200), 10_000, 'the retry delivered again');
    expect(receiver.applied).toHaveLength(expected);
    expect(new Set(receiver.applied.map((d) => d.body['id'])).size).toBe(expected);
    for (const profile of PROFILES) {
      const order = receiver.applied.filter((d) => d.body['who'] === profile).map((d) => d.body['n']);
      expect(order).toEqual(Array.from({ length: EVENTS_PER_PROFILE }, (_, n) => n));
    }
    // The failures happened and were retried with the same key.
    expect(receiver.requests.filter((r) => r.status !== 200).length).toBeGreaterThanOrEqual(5);
    expect(receiver.requests.length).toBeGreaterThan(expected);
  });

  it('dead-letters what the receiver refuses for good, with its answer, and nothing else', async () => {
    await waitFor(() => refusing.requests.length >= PROFILES.length, SETTLE_MS[engine] + 10_000, 'the refusing receiver was tried');
    type Letters = { deadLetters: Array<{ topic: string; reason: string; data: string }> };
    const { deadLetters: letters } = await app.eventually<Letters>(
      '/dead-letters',
      (list) => list.deadLetters.filter((letter) => letter.topic.endsWith('destination-strict')).length >= PROFILES.length,
    );
    const strict = letters.filter((letter) => letter.topic.endsWith('destination-strict'));
    expect(strict).toHaveLength(PROFILES.length);
    for (const letter of strict) {
      expect(letter.reason).toContain('answered 422');
      // The letter is the event as the destination gets it again on replay: one subject, its profile's.
      expect(JSON.parse(letter.data)).toMatchObject({ destination: 'strict', subjects: [{ event: { type: 'purchase', properties: { n: 0 } } }] });
    }
    expect(letters.filter((letter) => letter.topic.endsWith('destination-crm'))).toEqual([]);
    // One attempt each: a 422 is not retried.
    expect(refusing.requests).toHaveLength(PROFILES.length);
  });
});
