import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAccepted } from '@inflow/protocol';
import { profileIdForSession } from '@inflow/core';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

const SOURCE = 'sessions';

interface StoredProfile {
  id: string;
  eventCount: number;
  visits: number;
}

describe.each(ENGINES)('a request naming a session but no profile, on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_SERVE_DEMO: 'false' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  const sessionOnly = (sessionId: string, eventId: string, queue: boolean) =>
    app.track({ source: { id: SOURCE }, profile: null, session: { id: sessionId }, events: [{ id: eventId, type: 'page-view' }], options: { queue } });

  async function profileWith(profileId: string, eventCount: number): Promise<StoredProfile> {
    return app.eventually<StoredProfile>(`/profiles/${profileId}`, (p) => p.eventCount >= eventCount);
  }

  it('belongs to the profile of the known session, processed (200 names it) or queued (201 leaves it to the collector)', async () => {
    const session = `${engine}-known`;
    const first = await app.track({ source: { id: SOURCE }, profile: { id: `${engine}-jane` }, session: { id: session }, events: [{ type: 'identify' }] });
    expect(first.status).toBe(200);

    const processed = await sessionOnly(session, `${session}-1`, false);
    expect(processed.status).toBe(200);
    expect(((await processed.json()) as TrackAccepted).profile).toEqual({ id: `${engine}-jane` });

    const queued = await sessionOnly(session, `${session}-2`, true);
    expect(queued.status).toBe(201);
    expect((await queued.json()) as TrackAccepted).toMatchObject({ queued: true, profile: null, session: { id: session }, events: [`${session}-2`] });

    expect(await profileWith(`${engine}-jane`, 3)).toMatchObject({ eventCount: 3, visits: 1 });
    const event = await app.eventually<{ profileId: string }>(`/events/${session}-2`, () => true);
    expect(event.profileId).toBe(`${engine}-jane`);
    expect((await app.api(`/profiles/${profileIdForSession(session)}`)).status).toBe(404);
  });

  it('gives a new session the profile derived from its id', async () => {
    const session = `${engine}-new`;
    const response = await sessionOnly(session, `${session}-1`, false);
    expect(response.status).toBe(200);
    expect(((await response.json()) as TrackAccepted).profile).toEqual({ id: profileIdForSession(session) });
  });

  it.each([
    ['a new session', false],
    ['a known session', true],
  ])('ends on one profile with exact counts when many requests of %s race, queued and processed', async (name, known) => {
    const session = `${engine}-race-${known ? 'known' : 'new'}`;
    const profileId = known ? `${session}-owner` : profileIdForSession(session);
    if (known) expect((await app.track({ source: { id: SOURCE }, profile: { id: profileId }, session: { id: session }, events: [{ id: `${session}-0`, type: 'a' }] })).status).toBe(200);
    const count = 16;
    const answers = await Promise.all(Array.from({ length: count }, (_, i) => sessionOnly(session, `${session}-r${i}`, i % 2 === 0)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(count / 2).fill(200), ...Array(count / 2).fill(201)]);
    for (const answer of answers.filter((a) => a.status === 200)) expect(((await answer.json()) as TrackAccepted).profile).toEqual({ id: profileId });

    const total = count + (known ? 1 : 0);
    expect(await profileWith(profileId, total)).toMatchObject({ eventCount: total, visits: 1 });
    const stored = await app.eventually<{ events: Array<{ profileId: string }> }>(`/sessions/${session}/events?limit=100`, (b) => b.events.length >= total);
    expect(stored.events).toHaveLength(total);
    expect(new Set(stored.events.map((e) => e.profileId))).toEqual(new Set([profileId]));
    expect(await (await app.api(`/sessions/${session}`)).json()).toMatchObject({ profileId, eventCount: total });
  });

  it('gives a request with neither profile nor session new ids, different each time', async () => {
    const answers = await Promise.all([1, 2].map(() => app.track({ source: { id: SOURCE }, events: [{ type: 'a' }] })));
    const [a, b] = (await Promise.all(answers.map((r) => r.json()))) as TrackAccepted[];
    expect(a?.profile?.id).toBeTruthy();
    expect(a?.profile?.id).not.toBe(b?.profile?.id);
    expect(a?.session.id).not.toBe(b?.session.id);
  });
});

describe.each(ENGINES)('a request naming a profile but no session, on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_SERVE_DEMO: 'false' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  const profileOnly = (profileId: string, event: Record<string, unknown>, queue: boolean) =>
    app.track({ source: { id: SOURCE }, profile: { id: profileId }, events: [event], options: { queue } });

  it.each([
    ['processed', false],
    ['queued', true],
  ])('sent again (%s) lands in the session that counted it: one session, counts equal to what is stored', async (name, queue) => {
    const profileId = `${engine}-no-session-${name}`;
    // Without a time of its own (the window is then the edge's clock) and with one.
    const untimed = { id: `${profileId}-a`, type: 'purchase' };
    const timed = { id: `${profileId}-b`, type: 'purchase', time: new Date().toISOString() };
    const sessions = new Set<string>();
    for (const event of [untimed, untimed, untimed, timed, timed]) {
      const answer = await profileOnly(profileId, event, queue);
      expect(answer.status).toBe(queue ? 201 : 200);
      sessions.add(((await answer.json()) as TrackAccepted).session.id);
    }
    // Requests a few ms apart may straddle a 30-minute boundary only if the test runs across one.
    expect(sessions.size).toBeLessThanOrEqual(2);
    const profile = await app.eventually<StoredProfile>(`/profiles/${profileId}`, (p) => p.eventCount >= 2);
    expect(profile).toMatchObject({ eventCount: 2, visits: sessions.size });
    for (const sessionId of sessions) {
      const session = (await (await app.api(`/sessions/${sessionId}`)).json()) as { eventCount: number };
      // Searches see a write after the store's refresh: wait for as many as the session counts, then compare.
      const stored = await app.eventually<{ events: unknown[] }>(`/sessions/${sessionId}/events?limit=100`, (b) => b.events.length >= session.eventCount);
      expect(stored.events).toHaveLength(session.eventCount);
    }
  });

  it('shares a session with the profile\'s other requests of the same half hour, and not with another profile\'s', async () => {
    const at = Date.parse('2026-06-01T10:05:00Z');
    const answers = await Promise.all(
      [
        ['p1', at],
        ['p1', at + 20 * 60_000],
        ['p1', at + 30 * 60_000],
        ['p2', at],
      ].map(([who, time], i) => profileOnly(`${engine}-window-${String(who)}`, { id: `${engine}-window-${i}`, type: 'a', time: new Date(Number(time)).toISOString() }, false)),
    );
    const ids = await Promise.all(answers.map(async (a) => ((await a.json()) as TrackAccepted).session.id));
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[3]).not.toBe(ids[0]);
  });
});
