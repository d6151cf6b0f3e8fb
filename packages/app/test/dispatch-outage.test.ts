import { afterEach, describe, expect, it } from 'vitest';
import { startMisbehavingReceiver, type MisbehavingReceiver } from './support/misbehaving-receiver.js';
import { waitFor } from './support/spawn-inflow.js';
import { engineEnv, ENGINES, SETTLE_MS, startInflow, type TestInflow } from './support/start-inflow.js';

const PROFILES = ['ann', 'bob', 'cyd'];
const EVENTS_PER_PROFILE = 6;
const DOWN_MS = 60_000;

/** Each event once, in order per profile (n counts up within a profile). */
function expectOnceInOrder(receiver: MisbehavingReceiver): void {
  expect(receiver.applied).toHaveLength(PROFILES.length * EVENTS_PER_PROFILE);
  for (const profile of PROFILES) {
    expect(receiver.applied.filter((d) => d.body['who'] === profile).map((d) => d.body['n'])).toEqual(Array.from({ length: EVENTS_PER_PROFILE }, (_, n) => n));
  }
}

describe.each(ENGINES)('a receiver down for a minute, %s engine', (engine) => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('waits for it (nothing dropped or dead-lettered), while collection and another destination go on, then delivers each event once, in order', async () => {
    // The port the receiver will come back on; nothing listens there for now.
    const placeholder = await startMisbehavingReceiver(() => ({ status: 200 }));
    const port = Number(new URL(placeholder.url).port);
    await placeholder.close();
    const healthy = await startMisbehavingReceiver(() => ({ status: 200 }));
    closing.push(() => healthy.close());
    const app: TestInflow = await startInflow({ ...engineEnv(engine), INFLOW_DESTINATION_REFRESH_MS: '200' });
    closing.push(() => app.close());
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'web' }) })).status).toBe(201);
    const mapping = { id: '{{event.id}}', who: '{{profile.id}}', n: '{{event.properties.n}}' };
    for (const [id, url] of [['down', `http://127.0.0.1:${port}/hooks`], ['up', healthy.url]] as const) {
      const response = await app.api('/destinations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, webhook: { url, timeoutMs: 1_000 }, trigger: { eventTypes: ['purchase'] }, mapping }),
      });
      expect(response.status, await response.clone().text()).toBe(201);
    }
    await new Promise((resolve) => setTimeout(resolve, 600)); // the collectors see the destinations

    const wentDown = Date.now();
    for (let n = 0; n < EVENTS_PER_PROFILE; n++) {
      for (const profile of PROFILES) {
        const response = await app.track({ source: { id: 'web' }, profile: { id: profile }, session: { id: `${profile}-s` }, events: [{ id: `${profile}-${n}`, type: 'purchase', properties: { n } }], options: { queue: true } });
        expect(response.status).toBe(201);
      }
    }
    // While it is down: everything stored, and the other destination has every event.
    await waitFor(() => healthy.applied.length >= PROFILES.length * EVENTS_PER_PROFILE, SETTLE_MS[engine] + 20_000, 'the healthy destination has every event');
    expectOnceInOrder(healthy);
    await waitFor(
      async () => {
        const counts = await Promise.all(PROFILES.map(async (profile) => ((await (await app.api(`/profiles/${profile}`)).json()) as { eventCount?: number }).eventCount ?? 0));
        return counts.every((count) => count === EVENTS_PER_PROFILE);
      },
      SETTLE_MS[engine] + 20_000,
      'every event stored',
    );

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, DOWN_MS - (Date.now() - wentDown))));
    const back = await startMisbehavingReceiver(() => ({ status: 200 }), port);
    closing.push(() => back.close());
    // Retries back off (up to a minute apart) and the circuit waits between probes: it comes, once.
    await waitFor(() => back.applied.length >= PROFILES.length * EVENTS_PER_PROFILE, 150_000, 'the receiver that was down has every event');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expectOnceInOrder(back);
    const letters = (await (await app.api('/dead-letters')).json()) as { deadLetters: Array<{ topic: string }> };
    expect(letters.deadLetters.filter((letter) => letter.topic.includes('destination-down'))).toEqual([]);
  }, 300_000);
});
