import { describe, expect, it } from 'vitest';
import type { EventQuery, EventRecord, ProfileRecord, SessionRecord } from '@inflow/core';
import type { HttpReply, HttpRequest } from '@inflow/edge';
import { withDemoRoutes, type DemoProfileAnswer, type DemoProfileDeps } from './demo-profile.js';

const MINE = '0d9f7c1e-8a2b-4c3d-9e4f-5a6b7c8d9e0f';
const OTHER_SOURCE = '1e0a8d2f-9b3c-4d4e-8f5a-6b7c8d9e0f1a';
const T = '2026-11-29T16:00:00.000Z';

function profile(id: string, lastSourceId: string): ProfileRecord {
  return { id, createdAt: T, updatedAt: T, firstVisitAt: T, lastVisitAt: T, visits: 1, eventCount: 2, traits: { email: 'jane@example.com' }, lastSourceId, recentEventIds: ['x'], version: 3 };
}
function event(id: string, sourceId: string): EventRecord {
  return { id, type: 'product-viewed', time: T, receivedAt: T, sourceId, profileId: MINE, sessionId: 's1', requestId: 'r', properties: { sku: 'mug' }, context: { userAgent: 'secret' }, async: false };
}
const session: SessionRecord = { id: 's1', profileId: MINE, sourceId: 'demo', startedAt: T, lastEventAt: T, eventCount: 2, ip: '10.0.0.1', context: {}, version: 1 };

/** A store holding one demo profile and one profile of another source; it records which ids were read. */
function fakeStore(): DemoProfileDeps['store'] & { read: string[] } {
  const profiles = new Map([[MINE, profile(MINE, 'demo')], [OTHER_SOURCE, profile(OTHER_SOURCE, 'web')]]);
  const read: string[] = [];
  return {
    read,
    getProfile: (id: string) => {
      read.push(id);
      return Promise.resolve(profiles.get(id) ?? null);
    },
    listSessions: (id: string) => Promise.resolve(id === MINE ? [session] : []),
    listEvents: (query: EventQuery) => Promise.resolve(query.profileId === MINE ? [event('e2', 'web'), event('e1', 'demo')] : []),
  };
}

const request = (headers: Record<string, string>, path = '/demo/profile', method = 'GET', query = ''): HttpRequest => ({ method, path, query, headers, body: Buffer.alloc(0), remoteAddress: '' });
const next = (): Promise<HttpReply> => Promise.resolve({ status: 404, body: 'next' });

async function answer(handler: (r: HttpRequest) => Promise<HttpReply>, r: HttpRequest): Promise<DemoProfileAnswer> {
  const reply = await handler(r);
  expect(reply.status).toBe(200);
  expect(reply.headers?.['cache-control']).toBe('no-store');
  return JSON.parse(String(reply.body)) as DemoProfileAnswer;
}

describe('GET /demo/profile', () => {
  it("answers the profile named by the visitor's own tracker cookie, with its demo events only and no internals", async () => {
    const handler = withDemoRoutes({ store: fakeStore(), sourceId: 'demo' }, next);
    const body = await answer(handler, request({ cookie: `theme=dark; inflow_pid=${MINE}` }));
    expect(body.state).toBe('found');
    expect(body.profile).toEqual({ id: MINE, createdAt: T, firstVisitAt: T, lastVisitAt: T, visits: 1, eventCount: 2, traits: { email: 'jane@example.com' } });
    expect(body.events.map((e) => e.id)).toEqual(['e1']);
    expect(body.events[0]).not.toHaveProperty('context');
    expect(body.sessions).toEqual([{ id: 's1', startedAt: T, lastEventAt: T, eventCount: 2 }]);
  });

  it('ignores any id in the query and reads nothing without a tracker-made id in the cookie', async () => {
    const store = fakeStore();
    const handler = withDemoRoutes({ store, sourceId: 'demo' }, next);
    expect((await answer(handler, request({}, '/demo/profile', 'GET', `id=${MINE}`))).state).toBe('no-cookie');
    expect((await answer(handler, request({ cookie: 'inflow_pid=jane' }))).state).toBe('no-cookie');
    expect(store.read).toEqual([]);
  });

  it("does not show a profile last seen from another source", async () => {
    const handler = withDemoRoutes({ store: fakeStore(), sourceId: 'demo' }, next);
    const body = await answer(handler, request({ cookie: `inflow_pid=${OTHER_SOURCE}` }));
    expect(body).toEqual({ state: 'not-found', profile: null, sessions: [], events: [] });
  });

  it('passes every other path on and refuses other methods', async () => {
    const handler = withDemoRoutes({ store: fakeStore(), sourceId: 'demo' }, next);
    expect((await handler(request({}, '/track', 'POST'))).body).toBe('next');
    const post = await handler(request({}, '/demo/profile', 'POST'));
    expect(post.status).toBe(405);
    expect(post.headers?.['allow']).toBe('GET, HEAD');
  });

  it('answers HEAD as GET (the server sends the headers alone)', async () => {
    const handler = withDemoRoutes({ store: fakeStore(), sourceId: 'demo' }, next);
    const head = await handler(request({}, '/demo/profile', 'HEAD'));
    expect(head.status).toBe(200);
    expect(head.body).toBe((await handler(request({}, '/demo/profile', 'GET'))).body);
  });
});
