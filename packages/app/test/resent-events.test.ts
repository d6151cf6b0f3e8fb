import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

const SOURCE = 'resends';

interface Counted {
  eventCount: number;
}

/**
 * A client resends events whose first try was stored after all (answered 503 or not at all
 * while the broker went down, say) as a new request. By then its profile may have counted far
 * more events than it remembers (256): the store, which holds each event once, says they were
 * stored, and they are not counted again.
 */
describe.each(ENGINES)('events a client resends long after they were stored, on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_SERVE_DEMO: 'false' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  const send = async (profile: string, session: string, eventIds: string[], queue: boolean): Promise<void> => {
    const response = await app.track({ source: { id: SOURCE }, profile: { id: profile }, session: { id: session }, events: eventIds.map((id) => ({ id, type: 'page-view' })), options: { queue } });
    expect(response.status).toBe(queue ? 201 : 200);
  };

  it.each([
    ['processed', false],
    ['queued', true],
  ])('are stored once and counted once, %s, with 300 events counted in between', async (_name, queue) => {
    const profile = `${engine}-${queue ? 'q' : 'p'}-busy`;
    const session = `${profile}-visit`;
    const first = [`${profile}-first-a`, `${profile}-first-b`];
    await send(profile, session, first, queue);
    for (let i = 0; i < 30; i++) await send(profile, session, Array.from({ length: 10 }, (_, k) => `${profile}-${i}-${k}`), queue);
    // The resend: the two first events again, with one new one, in a request of its own.
    await send(profile, session, [...first, `${profile}-last`], queue);
    await send(profile, session, [`${profile}-after`], queue);

    const stored = 2 + 300 + 1 + 1;
    const counted = await app.eventually<Counted>(`/profiles/${profile}`, (p) => p.eventCount >= stored);
    expect(counted.eventCount).toBe(stored);
    expect((await app.eventually<Counted>(`/sessions/${session}`, (s) => s.eventCount >= stored)).eventCount).toBe(stored);
    const events = await app.eventually<{ events: unknown[] }>(`/profiles/${profile}/events?limit=1000`, (body) => body.events.length >= stored);
    expect(events.events).toHaveLength(stored);
  });
});
