import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody, TrackAccepted } from '@inflow/protocol';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

const SOURCE = 'mixed';
const MAX_EVENT_BYTES = 4_096;

interface StoredEvent {
  id: string;
  type: string;
  properties: Record<string, unknown>;
}

/** Three good events among six that each have a problem of their own; `tag` keeps ids apart. */
function mixedEvents(tag: string): unknown[] {
  return [
    { id: `${tag}-good-1`, type: 'page-view', properties: { n: 1 } },
    { id: `${tag}-long-type`, type: 't'.repeat(129) },
    { type: 'no-id', properties: { n: 2 } },
    { id: 'i'.repeat(129), type: 'long-id' },
    { id: `${tag}-proto`, type: 'hostile', properties: { user: { ['__proto__']: { admin: true } } } },
    { id: `${tag}-big`, type: 'big', properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } },
    { id: `${tag}-late`, type: 'late', time: '+010000-01-01T00:00:00Z' },
    { id: `${tag}-good-3`, type: 'click', time: '2026-11-29T16:00:00.000Z', properties: { n: 3 } },
  ];
}

const EXPECTED_REJECTIONS = (tag: string) => [
  { index: 1, id: `${tag}-long-type`, code: 'invalid_payload', path: 'events.1.type' },
  { index: 3, code: 'invalid_payload', path: 'events.3.id' },
  { index: 4, id: `${tag}-proto`, code: 'invalid_payload', path: 'events.4.properties.user' },
  { index: 5, id: `${tag}-big`, code: 'event_too_large', path: 'events.5' },
  { index: 6, id: `${tag}-late`, code: 'invalid_payload', path: 'events.6.time' },
];

/** A computed `__proto__` key is an own property, so JSON.stringify writes it. */
const bodyOf = (tag: string, queue: boolean): string =>
  JSON.stringify({ source: { id: SOURCE }, profile: { id: `${tag}-p` }, session: { id: `${tag}-s` }, events: mixedEvents(tag), options: { queue } });

describe.each(ENGINES)('a batch mixing valid and invalid events on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES), INFLOW_SERVE_DEMO: 'false' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  /** Waits until the profile holds `count` events, then returns them (the request was stored whole by then). */
  async function storedEvents(profileId: string, count: number): Promise<StoredEvent[]> {
    const body = await app.eventually<{ events: StoredEvent[] }>(`/profiles/${profileId}/events?limit=100`, (b) => b.events.length >= count);
    return body.events;
  }

  async function expectOnlyGoodStored(tag: string, accepted: TrackAccepted): Promise<void> {
    const [first, generated, last] = accepted.events;
    expect(accepted.events).toHaveLength(3);
    expect([first, last]).toEqual([`${tag}-good-1`, `${tag}-good-3`]);
    const events = await storedEvents(`${tag}-p`, 3);
    expect(events.map((e) => e.id).sort()).toEqual([first, generated, last].sort());
    expect(events.find((e) => e.id === generated)).toMatchObject({ type: 'no-id', properties: { n: 2 } });
    for (const bad of ['long-type', 'proto', 'big', 'late']) expect((await app.api(`/events/${tag}-${bad}`)).status).toBe(404);
    expect(await (await app.api(`/profiles/${tag}-p`)).json()).toMatchObject({ eventCount: 3 });
  }

  it.each([
    ['processed in place', false, 200],
    ['queued', true, 201],
  ])('%s: accepts the valid events, names each refused one, and stores only the valid ones', async (name, queue, status) => {
    const tag = `${engine}-${queue ? 'q' : 'p'}`;
    const response = await app.track(bodyOf(tag, queue));
    expect(response.status).toBe(status);
    const accepted = (await response.json()) as TrackAccepted;
    expect(accepted).toMatchObject({ queued: queue, profile: { id: `${tag}-p` }, session: { id: `${tag}-s` } });
    expect(accepted.rejected?.map(({ index, id, code, path }) => ({ index, id, code, path }))).toEqual(
      EXPECTED_REJECTIONS(tag).map((r) => ({ id: undefined, ...r })),
    );
    expect(accepted.rejected?.[0]?.message).toContain('events.1.type must be a non-empty string of at most 128 characters');
    await expectOnlyGoodStored(tag, accepted);
  });

  it('answers without `rejected` when every event is valid', async () => {
    const response = await app.track({ source: { id: SOURCE }, profile: { id: `${engine}-all-good` }, events: [{ type: 'a' }] });
    expect(response.status).toBe(200);
    expect(await response.json()).not.toHaveProperty('rejected');
  });

  it('refuses with 400 and the first problem when every event is invalid, and stores nothing', async () => {
    const profileId = `${engine}-all-bad`;
    const response = await app.track({ source: { id: SOURCE }, profile: { id: profileId }, events: [{ id: `${profileId}-1`, type: '' }, { type: 'a', time: 'soon' }], options: { queue: true } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'invalid_payload', path: 'events.0.type' });
    expect(body.rejected?.map((r) => [r.index, r.path])).toEqual([
      [0, 'events.0.type'],
      [1, 'events.1.time'],
    ]);
    expect((await app.api(`/profiles/${profileId}`)).status).toBe(404);
  });

  it('still refuses the whole request for a problem of the request itself, even with a bad event', async () => {
    const response = await app.track({ source: { id: SOURCE }, session: { id: 'x'.repeat(129) }, events: [{ type: 'a' }, { type: '' }] });
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'invalid_payload', path: 'session.id' });
    expect(body).not.toHaveProperty('rejected');
  });
});
