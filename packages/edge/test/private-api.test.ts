import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteQueue } from '@inflow/workers';
import { startInflow, type TestInflow } from './support/start-inflow.js';

describe('private API', () => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ INFLOW_API_TOKEN: 'a-token-of-sixteen-chars' });
  });
  afterAll(() => app.close());

  it('refuses calls without the bearer token, and is not served on the public port', async () => {
    const none = await fetch(`${app.privateUrl}/sources`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${app.privateUrl}/sources`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${app.privateUrl}/healthz`)).status).toBe(200);
    const onPublic = await fetch(`${app.publicUrl}/sources`, { headers: { authorization: 'Bearer a-token-of-sixteen-chars' } });
    expect(onPublic.status).toBe(404);
  });

  it('creates, lists, reads, changes, disables and enables sources', async () => {
    const created = await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'web', name: 'Website', allowedOrigins: ['https://a.test'] }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: 'web', name: 'Website', enabled: true, allowedOrigins: ['https://a.test'] });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'web' }) })).status).toBe(409);
    const list = (await (await app.api('/sources')).json()) as { sources: Array<{ id: string }> };
    expect(list.sources.map((s) => s.id)).toContain('web');
    expect(await (await app.api('/sources/web/disable', { method: 'POST' })).json()).toMatchObject({ enabled: false });
    expect(await (await app.api('/sources/web/enable', { method: 'POST' })).json()).toMatchObject({ enabled: true });
    const patched = await app.api('/sources/web', { method: 'PATCH', body: JSON.stringify({ name: 'Site' }) });
    expect(await patched.json()).toMatchObject({ name: 'Site', allowedOrigins: ['https://a.test'] });
    expect((await app.api('/sources/none')).status).toBe(404);
    expect((await app.api('/sources/none/enable', { method: 'POST' })).status).toBe(404);
  });

  it('names the bad field of a source', async () => {
    const noId = await app.api('/sources', { method: 'POST', body: JSON.stringify({ name: 'x' }) });
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { error: { path: string } }).error.path).toBe('id');
    const badOrigins = await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'x', allowedOrigins: 'a' }) });
    expect(badOrigins.status).toBe(400);
    expect(((await badOrigins.json()) as { error: { path: string } }).error.path).toBe('allowedOrigins');
    const broken = await app.api('/sources', { method: 'POST', body: '{' });
    expect(broken.status).toBe(400);
  });

  it('answers 404 for unknown profiles, sessions, events and topics', async () => {
    for (const path of ['/profiles/none', '/sessions/none', '/events/none', '/queue/none/none/backlog']) {
      const response = await app.api(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('lists the newest events and sessions of a profile', async () => {
    await app.track({ source: { id: 'demo' }, profile: { id: 'pp' }, session: { id: 'ss' }, events: [{ id: 'old', type: 'a', time: '2026-01-01T00:00:00Z' }, { id: 'new', type: 'b', time: '2026-02-01T00:00:00Z' }] });
    const body = await app.eventually<{ events: Array<{ id: string }> }>('/profiles/pp/events?limit=1', (b) => b.events.length === 1);
    expect(body.events[0]?.id).toBe('new');
    const bySession = await app.eventually<{ events: Array<{ id: string }> }>('/sessions/ss/events', (b) => b.events.length === 2);
    expect(bySession.events.map((e) => e.id)).toEqual(['new', 'old']);
    expect(((await (await app.api('/sessions/ss')).json()) as { profileId: string }).profileId).toBe('pp');
  });

  it('shows dead letters with their reason', async () => {
    expect(await (await app.api('/dead-letters')).json()).toEqual({ deadLetters: [] });
    // A message the edge would never write (no profile id), put on the queue file from outside.
    const outside = new SqliteQueue({ file: join(app.dataDir, 'queue.db'), tenant: 'inflow', maxBacklog: 10, topics: [] });
    const poison = '{"v":1,"id":"r-1","receivedAt":1,"payload":{"source":{"id":"demo"},"events":[{"type":"x"}]}}';
    await outside.producer({ namespace: 'collector', name: 'payloads' }).send([{ key: 'k', data: Buffer.from(poison) }]);
    await outside.close();
    const body = await app.eventually<{ deadLetters: Array<Record<string, unknown>> }>('/dead-letters', (b) => b.deadLetters.length === 1);
    expect(body.deadLetters[0]).toMatchObject({
      topic: 'collector/payloads',
      subscription: 'inflow-collector',
      reason: 'payload has events, a profile or a session without id',
      data: poison,
    });
  });
});
