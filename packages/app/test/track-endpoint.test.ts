import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ErrorBody, TrackAccepted } from '@inflow/protocol';
import { stalledBody } from './support/stalled-body.js';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

const source = { id: 'demo' };

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  expect(response.headers.get('content-type')).toBe('application/json');
  return ((await response.json()) as ErrorBody).error;
}

describe.each(ENGINES)('POST /track on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_MAX_BODY_BYTES: '4096', INFLOW_MAX_EVENTS: '3', INFLOW_MAX_EVENT_BYTES: '512', INFLOW_REQUEST_TIMEOUT_MS: '300' });
  });
  afterAll(() => app.close());

  it('stores an event id used by two profiles as two events, each counted by its profile, queued or in place', async () => {
    const id = `shared-${engine}`;
    for (const [profile, type, queue] of [[`alice-${engine}`, 'order', true], [`bob-${engine}`, 'signup', true], [`carol-${engine}`, 'visit', false]] as const) {
      const response = await app.track({ source, profile: { id: profile }, events: [{ id, type }], options: { queue } });
      expect(response.status).toBe(queue ? 201 : 200);
    }
    for (const [profile, type] of [[`alice-${engine}`, 'order'], [`bob-${engine}`, 'signup'], [`carol-${engine}`, 'visit']]) {
      const stored = await app.eventually<{ events: Array<{ id: string; type: string }> }>(`/profiles/${profile}/events`, (body) => body.events.length === 1);
      expect(stored.events.map((e) => [e.id, e.type])).toEqual([[id, type]]);
      expect((await (await app.api(`/profiles/${profile}`)).json()) as { eventCount: number }).toMatchObject({ eventCount: 1 });
    }
  });

  it('processes a request in place: 200 with the resolved ids, then queryable through the private API', async () => {
    const response = await app.track({
      source,
      context: { page: { url: 'https://shop.test/a?utm_source=mail', title: 'A' } },
      events: [{ type: 'page-view', properties: { x: 1 } }, { id: 'client-chosen-1', type: 'click' }],
    }, { 'user-agent': 'integration/1.0' });
    expect(response.status).toBe(200);
    const accepted = (await response.json()) as TrackAccepted;
    expect(accepted.queued).toBe(false);
    expect(accepted.events).toHaveLength(2);
    expect(accepted.events[1]).toBe('client-chosen-1');

    const profile = await app.eventually<{ eventCount: number; visits: number }>(`/profiles/${accepted.profile.id}`, (p) => p.eventCount === 2);
    expect(profile.visits).toBe(1);
    const { events } = await app.eventually<{ events: Array<{ id: string; type: string; sessionId: string; userAgent: string; page: unknown }> }>(
      `/profiles/${accepted.profile.id}/events`,
      (body) => body.events.length === 2,
    );
    expect(events.map((e) => e.id).sort()).toEqual([...accepted.events].sort());
    expect(events[0]).toMatchObject({ sessionId: accepted.session.id, userAgent: 'integration/1.0', page: { path: '/a', title: 'A' } });
    const { sessions } = await app.eventually<{ sessions: Array<{ id: string; utm: unknown }> }>(
      `/profiles/${accepted.profile.id}/sessions`,
      (body) => body.sessions.length === 1,
    );
    expect(sessions[0]).toMatchObject({ id: accepted.session.id, utm: { source: 'mail' } });
    const event = await app.eventually<{ type: string }>(`/events/client-chosen-1`, () => true);
    expect(event.type).toBe('click');
  });

  it('queues a request: 201 with the ids it will have, then stored by the workers', async () => {
    const response = await app.track({ source, profile: { id: 'queued-p' }, session: { id: 'queued-s' }, events: [{ type: 'a' }, { type: 'b' }], options: { queue: true } }, { 'content-type': 'text/plain;charset=UTF-8' });
    expect(response.status).toBe(201);
    const accepted = (await response.json()) as TrackAccepted;
    expect(accepted).toMatchObject({ queued: true, profile: { id: 'queued-p' }, session: { id: 'queued-s' } });
    const { events } = await app.eventually<{ events: Array<{ id: string }> }>('/profiles/queued-p/events', (b) => b.events.length === 2);
    expect(events.map((e) => e.id).sort()).toEqual([...accepted.events].sort());
    const backlog = await app.eventually<{ total: number; backlog: Array<{ partition: string; subscription: string; count: number }> }>(
      '/queue/collector/payloads/backlog',
      (b) => b.total === 0,
    );
    expect(backlog.backlog.length).toBeGreaterThan(0);
    for (const row of backlog.backlog) {
      expect(row.partition).toMatch(/^persistent:\/\/[\w-]+\/collector\/payloads/);
      expect(row.subscription).toMatch(/-collector$/);
      expect(row.count).toBe(0);
    }
  });

  it('stores events at their times corrected for the client\'s clock when the request says when it was sent, queued and in place', async () => {
    // The device's clock runs two hours behind: its event of 30 s before sending happened 30 s before the edge got it.
    const skewMs = 2 * 3_600_000;
    for (const queue of [true, false]) {
      const profile = `skewed-${queue ? 'queued' : 'in-place'}`;
      const deviceNow = Date.now() - skewMs;
      const before = Date.now();
      const response = await app.track({
        source,
        profile: { id: profile },
        session: { id: `${profile}-s` },
        sentAt: new Date(deviceNow).toISOString(),
        events: [{ id: `${profile}-e`, type: 'click', time: new Date(deviceNow - 30_000).toISOString() }],
        options: { queue },
      });
      const after = Date.now();
      expect(response.status).toBe(queue ? 201 : 200);
      const { events } = await app.eventually<{ events: Array<{ time: string; clientTime?: string; receivedAt: string }> }>(`/profiles/${profile}/events`, (b) => b.events.length === 1);
      const [event] = events;
      const stored = Date.parse(event?.time ?? '');
      // The device's own time is kept beside it.
      expect(event?.clientTime).toBe(new Date(deviceNow - 30_000).toISOString());
      // time + (receivedAt − sentAt): 30 s before the edge received it, whatever the edge's clock read then.
      expect(stored).toBe(Date.parse(event?.receivedAt ?? '') - 30_000);
      expect(stored).toBeGreaterThanOrEqual(before - 30_000 - 1_000);
      expect(stored).toBeLessThanOrEqual(after - 30_000 + 1_000);
    }
  });

  it('stores an event once when the same request is sent twice', async () => {
    const payload = { source, profile: { id: 'twice-p' }, session: { id: 'twice-s' }, events: [{ id: 'twice-e', type: 'a', time: new Date().toISOString() }], options: { queue: true } };
    expect((await app.track(payload)).status).toBe(201);
    expect((await app.track(payload)).status).toBe(201);
    // Both requests are processed; the event is counted and stored once.
    await app.eventually<{ eventCount: number }>('/profiles/twice-p', (p) => p.eventCount === 1);
    await app.eventually<{ total: number }>('/queue/collector/payloads/backlog', (b) => b.total === 0);
    const { events } = await app.eventually<{ events: unknown[] }>('/profiles/twice-p/events', (b) => b.events.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // one search refresh later, still one
    expect(((await (await app.api('/profiles/twice-p/events')).json()) as { events: unknown[] }).events).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', '{"source":', {}, 400, 'malformed_json', undefined, 'not valid JSON'],
    ['a schema violation, with the JSON path', { source, events: [{ type: 42 }] }, {}, 400, 'invalid_payload', 'events.0.type', 'string'],
    ['a missing source', { events: [] }, {}, 400, 'invalid_payload', 'source', 'is required'],
    ['an unreadable sentAt', { source, sentAt: 'yesterday', events: [{ type: 'a' }] }, {}, 400, 'invalid_payload', 'sentAt', 'epoch milliseconds'],
    ['too many events', { source, events: [{ type: 'a' }, { type: 'a' }, { type: 'a' }, { type: 'a' }] }, {}, 400, 'too_many_events', 'events', 'at most 3'],
    ['an event over the size limit, named', { source, events: [{ type: 'big', properties: { blob: 'x'.repeat(600) } }] }, {}, 400, 'event_too_large', 'events.0', 'event 0'],
    ['an unknown source', { source: { id: 'nope' }, events: [] }, {}, 403, 'unknown_source', 'source.id', '"nope" does not exist'],
    ['a body over the limit', { source, events: [{ type: 'a', properties: { blob: 'x'.repeat(5000) } }] }, {}, 413, 'payload_too_large', undefined, '4096 bytes'],
    ['an unsupported media type', { source, events: [] }, { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type', undefined, 'application/json or text/plain'],
  ])('refuses %s with a clear JSON error', async (_, body, headers, status, code, path, message) => {
    const response = await app.track(body, headers as Record<string, string>);
    expect(response.status).toBe(status);
    const error = await errorOf(response);
    expect(error.code).toBe(code);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
  });

  it('refuses a disabled source and accepts it again once enabled', async () => {
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'toggle' }) })).status).toBe(201);
    expect((await app.api('/sources/toggle/disable', { method: 'POST' })).status).toBe(200);
    const refused = await app.track({ source: { id: 'toggle' }, events: [] });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ code: 'source_disabled', message: 'source "toggle" is disabled' });
    await app.api('/sources/toggle/enable', { method: 'POST' });
    expect((await app.track({ source: { id: 'toggle' }, events: [] })).status).toBe(200);
  });

  it('answers wrong methods and paths with 405 and 404', async () => {
    const get = await fetch(`${app.publicUrl}/track`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toContain('POST');
    expect((await errorOf(get)).code).toBe('method_not_allowed');
    const missing = await fetch(`${app.publicUrl}/nowhere`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ code: 'not_found', message: 'no such endpoint: /nowhere' });
  });

  it('cuts off a request whose body stalls, with 408, while other requests go on', async () => {
    const answer = stalledBody(app.publicUrl);
    const other = await app.track({ source, events: [] });
    expect(other.status).toBe(200);
    const raw = await answer;
    expect(raw).toMatch(/^HTTP\/1\.1 408/);
    expect(raw).toContain('"code":"request_timeout"');
  });

  it('answers HEAD with the headers alone, so that the next answer on the connection is read right', async () => {
    const url = new URL(app.publicUrl);
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    socket.on('data', (chunk) => (raw += chunk.toString()));
    socket.write('HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /track HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await vi.waitFor(() => expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(3), { timeout: 5_000 });
    socket.destroy();
    const [headHealth, headTrack, getHealth] = raw.split(/(?=HTTP\/1\.1 )/);
    // Each HEAD answer ends with its blank line: no body follows before the next status line.
    expect(headHealth).toMatch(/^HTTP\/1\.1 200[^]*\r\n\r\n$/);
    expect(headTrack).toMatch(/^HTTP\/1\.1 405[^]*\r\n\r\n$/);
    expect(getHealth).toMatch(/^HTTP\/1\.1 200[^]*\r\n\r\n\S/);
  });

  it('reports health and readiness', async () => {
    expect((await fetch(`${app.publicUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${app.publicUrl}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});

describe.each(ENGINES)('CORS on POST /track on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_SERVE_DEMO: 'false' });
    await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'shop', allowedOrigins: ['https://shop.test'] }) });
    await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'blog', allowedOrigins: ['https://blog.test'] }) });
  });
  afterAll(() => app.close());

  it('answers preflights for origins some enabled source allows, and checks the origin per source', async () => {
    const preflight = await fetch(`${app.publicUrl}/track`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const evil = await fetch(`${app.publicUrl}/track`, { method: 'OPTIONS', headers: { origin: 'https://evil.test' } });
    expect(evil.status).toBe(403);
    expect((await errorOf(evil)).code).toBe('origin_not_allowed');

    const allowed = await app.track({ source: { id: 'shop' }, events: [] }, { origin: 'https://shop.test' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    const wrongSource = await app.track({ source: { id: 'shop' }, events: [] }, { origin: 'https://blog.test' });
    expect(wrongSource.status).toBe(403);
    expect(await errorOf(wrongSource)).toMatchObject({ code: 'origin_not_allowed', message: 'origin https://blog.test may not send to source "shop"' });
    const serverSide = await app.track({ source: { id: 'shop' }, events: [] });
    expect(serverSide.status).toBe(200);
  });

  it('stops allowing an origin in preflights once its only source is disabled', async () => {
    await app.api('/sources/blog/disable', { method: 'POST' });
    const preflight = await fetch(`${app.publicUrl}/track`, { method: 'OPTIONS', headers: { origin: 'https://blog.test' } });
    expect(preflight.status).toBe(403);
  });
});

describe('POST /track when the embedded queue is full', () => {
  it('answers 503 with Retry-After and accepts nothing half-way', async () => {
    const app = await startInflow({ INFLOW_QUEUE_MAX_BACKLOG: '2' });
    try {
      // Twenty requests at once against a backlog of two: the collector cannot drain that fast.
      const payload = (i: number) => ({ source, profile: { id: `full-${i}` }, events: Array.from({ length: 3 }, (_, j) => ({ id: `full-${i}-${j}`, type: 'a' })), options: { queue: true } });
      const statuses: number[] = [];
      const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => app.track(payload(i))));
      for (const response of responses) statuses.push(response.status);
      const refused = responses.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
      expect(refused[0]?.headers.get('retry-after')).toBe('5');
      expect((await errorOf(refused[0]!)).code).toBe('queue_unavailable');
      // Everything answered 201 is stored, everything refused is not.
      const accepted = responses.map((r, i) => (r.status === 201 ? i : -1)).filter((i) => i >= 0);
      for (const i of accepted) await app.eventually<{ eventCount: number }>(`/profiles/full-${i}`, (p) => p.eventCount === 3, 10_000);
      for (let i = 0; i < 20; i++) {
        if (accepted.includes(i)) continue;
        expect((await app.api(`/events/full-${i}-0`)).status).toBe(404);
      }
    } finally {
      await app.close();
    }
  });
});
