import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';
import { outsideQueue } from './support/outside-queue.js';

describe.each(ENGINES)('private API on the %s engine', (engine) => {
  let app: TestInflow;
  let env: Record<string, string>;
  beforeAll(async () => {
    env = engineEnv(engine);
    app = await startInflow({ ...env, INFLOW_API_TOKEN: 'a-token-of-sixteen-chars' });
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

  it('serves the OpenAPI 3.1 documents every answer in the suite is checked against', async () => {
    for (const [name, title] of [['public', 'Inflow public API'], ['private', 'Inflow private API']] as const) {
      const response = await app.api(`/openapi/${name}.json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
      expect(document.openapi).toMatch(/^3\.1\./);
      expect(document.info.title).toBe(title);
      expect(Object.keys(document.paths)).toContain(name === 'public' ? '/track' : '/sources');
    }
    expect((await fetch(`${app.privateUrl}/openapi/private.json`)).status).toBe(401);
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

  it('refuses unknown fields and origins a browser never sends, on create and change, and stores nothing of them', async () => {
    type Refusal = { error: { code: string; path: string; message: string } };
    const refused = async (path: string, method: string, body: unknown): Promise<Refusal['error']> => {
      const response = await app.api(path, { method, body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(400);
      return ((await response.json()) as Refusal).error;
    };
    // A misspelt allowedOrigins would have left the source open to every origin.
    expect(await refused('/sources', 'POST', { id: 'typo', allowedOrigin: ['https://a.test'] })).toMatchObject({ code: 'invalid_payload', path: 'allowedOrigin', message: expect.stringContaining('unknown field') });
    expect((await app.api('/sources/typo')).status).toBe(404);
    expect(await refused('/sources', 'POST', { id: 'slash', allowedOrigins: ['https://a.test/'] })).toMatchObject({ path: 'allowedOrigins.0', message: expect.stringContaining('did you mean "https://a.test"') });
    expect(await refused('/sources', 'POST', { id: 'wild', allowedOrigins: ['https://*.a.test'] })).toMatchObject({ path: 'allowedOrigins.0', message: expect.stringContaining('wildcards') });
    for (const origin of ['not a url', 'https://A.test', 'https://a.test/shop', 'https://a.test:443', 'a.test', '', 'Capacitor://localhost', 'file:///tmp/x.html']) {
      expect((await refused('/sources', 'POST', { id: 'bad-origin', allowedOrigins: ['https://ok.test', origin] })).path, origin).toBe('allowedOrigins.1');
    }
    // What browsers and app shells send: http(s) origins, other schemes' (Capacitor, extensions) and "null" (sandboxed frames, file: pages).
    const apps = ['capacitor://localhost', 'chrome-extension://abcdefghijklmnopabcdefghijklmnop', 'null'];
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'apps', allowedOrigins: apps }) })).status).toBe(201);
    expect(await (await app.api('/sources/apps')).json()).toMatchObject({ allowedOrigins: apps });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'strict', allowedOrigins: ['https://a.test', 'http://127.0.0.1:8080', 'http://[::1]:3000'] }) })).status).toBe(201);
    const before = await (await app.api('/sources/strict')).json();
    expect(await refused('/sources/strict', 'PATCH', { bogus: 1 })).toMatchObject({ path: 'bogus', message: expect.stringContaining('unknown field') });
    expect((await refused('/sources/strict', 'PATCH', { allowedOrigins: ['not a url'] })).path).toBe('allowedOrigins.0');
    expect((await refused('/sources/strict', 'PATCH', { id: 'other', name: 'x' })).path).toBe('id');
    expect(await (await app.api('/sources/strict')).json()).toEqual(before);
    // A change may be the record read back: its own id, its times (ignored).
    const renamed = await app.api('/sources/strict', { method: 'PATCH', body: JSON.stringify({ ...(before as object), name: 'Strict' }) });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ id: 'strict', name: 'Strict', allowedOrigins: ['https://a.test', 'http://127.0.0.1:8080', 'http://[::1]:3000'] });
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
    // A message the edge would never write (no profile id), put on the queue from outside.
    const poison = '{"v":1,"id":"r-1","receivedAt":1,"payload":{"source":{"id":"demo"},"events":[{"type":"x"}]}}';
    const outside = outsideQueue(engine, app.dataDir, env);
    await outside.producer({ namespace: 'collector', name: 'payloads' }).send([{ key: 'k', data: Buffer.from(poison) }]);
    await outside.close();
    const body = await app.eventually<{ deadLetters: Array<Record<string, unknown>> }>('/dead-letters', (b) => b.deadLetters.length === 1);
    expect(body.deadLetters[0]).toMatchObject({
      topic: 'collector/payloads',
      subscription: `${env['INFLOW_TENANT'] ?? 'inflow'}-collector`,
      reason: 'payload has events, a profile or a session without id',
      data: poison,
    });
  });

  it('answers 400, never 500, to a value that cannot be turned into text, naming where it is', async () => {
    const odd = { toString: 1, valueOf: 1 };
    const destination = { id: 'odd-destination', webhook: { url: 'https://hooks.example/x' }, trigger: { eventTypes: ['a'] } };
    const rule = { id: 'odd-rule', trigger: { eventTypes: ['a'] }, actions: [{ type: 'increment', trait: 'n' }] };
    expect((await app.api('/destinations', { method: 'POST', body: JSON.stringify(destination) })).status).toBe(201);
    for (const [method, path, body, where] of [
      ['POST', '/sources', { id: odd }, 'id'],
      ['POST', '/sources', { id: 'odd-source', name: odd }, 'name'],
      ['POST', '/dead-letters/replay', { ids: ['1', odd] }, 'ids.1'],
      ['POST', '/destinations', { ...destination, id: 'odd-2', webhook: { url: odd } }, 'webhook.url'],
      ['POST', '/destinations/odd-destination/test', { event: { type: odd } }, 'event.type'],
      ['POST', '/rules', { ...rule, trigger: { eventTypes: [odd] } }, 'trigger.eventTypes.0'],
      ['POST', '/rules', { ...rule, actions: [{ type: 'increment', trait: odd }] }, 'actions.0'],
      // The first problem is elsewhere: what follows it is not rendered at all.
      ['PUT', '/destinations/*', { name: odd }, 'id'],
      ['PUT', '/rules/*', { ...rule, name: odd }, 'id'],
    ] as const) {
      const response = await app.api(path, { method, body: JSON.stringify(body) });
      const answer = (await response.json()) as { error: { path: string; message: string } };
      expect(response.status, `${path} ${where}: ${JSON.stringify(answer)}`).toBe(400);
      expect(answer.error.path, `${path} ${where}`).toContain(where);
    }
  });

  it('answers 404 to an id longer than any stored one, or a topic name none can have, whatever the store', async () => {
    const long = 'x'.repeat(5_000);
    for (const [method, path] of [
      ['GET', `/profiles/${long}`],
      ['GET', `/profiles/${long}/events`],
      ['GET', `/sessions/${long}`],
      ['GET', `/sources/${long}`],
      ['PATCH', `/sources/${long}`],
      ['GET', `/rules/${long}`],
      ['DELETE', `/rules/${long}`],
      ['GET', `/destinations/${long}`],
      ['DELETE', `/destinations/${long}`],
      // Names no topic can have, some of which would change the broker's admin URL.
      ['GET', '/queue/a%20b/payloads/backlog'],
      ['GET', '/queue/collector/%3F/backlog'],
      ['GET', '/queue/collector/%23x/backlog'],
      ['GET', '/queue/%2E%2E/payloads/backlog'],
      ['GET', '/queue/..%2F..%2Fadmin/payloads/backlog'],
      ['GET', `/queue/collector/${long}/backlog`],
    ] as const) {
      const response = await app.api(path, { method, ...(method === 'PATCH' ? { body: '{"name":"n"}' } : {}) });
      expect([404, 200], `${method} ${path.slice(0, 20)}… ${response.status}`).toContain(response.status);
      if (response.status === 200) expect(((await response.json()) as { events: unknown[] }).events, path.slice(0, 20)).toEqual([]);
    }
  });

  it('refuses a replay body with a bad field, naming it', async () => {
    const replay = (body: string): Promise<Response> => app.api('/dead-letters/replay', { method: 'POST', body });
    for (const [body, path] of [
      ['{"ids":"one"}', 'ids'],
      ['{"ids":[]}', 'ids'],
      ['{"ids":["ok",5]}', 'ids.1'],
      ['{"id":["x"]}', 'id'],
      ['[]', 'body'],
    ] as const) {
      const response = await replay(body);
      expect(response.status, body).toBe(400);
      expect(((await response.json()) as { error: { path: string } }).error.path, body).toBe(path);
    }
    const broken = await replay('{');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    expect((await app.api('/dead-letters/replay')).status).toBe(405);
  });

  it('replays dead letters by id and all at once: they go back through the collector', async () => {
    type Letters = { deadLetters: Array<{ id: string; data: string; topic: string }> };
    // Still poison: the collector dead-letters each replayed copy again, as a new letter with a new id.
    const poison = (n: number): string => `{"v":1,"id":"r-replay-${n}","receivedAt":1,"payload":{"source":{"id":"demo"},"events":[{"type":"x"}]}}`;
    const outside = outsideQueue(engine, app.dataDir, env);
    await outside.producer({ namespace: 'collector', name: 'payloads' }).send([1, 2].map((n) => ({ key: `k${n}`, data: Buffer.from(poison(n)) })));
    await outside.close();
    const withData = (body: Letters, data: string) => body.deadLetters.filter((l) => l.data === data);
    const first = await app.eventually<Letters>('/dead-letters?limit=1000', (b) => withData(b, poison(1)).length === 1 && withData(b, poison(2)).length === 1);
    const [one, two] = [withData(first, poison(1))[0]!, withData(first, poison(2))[0]!];
    expect(one.id).not.toBe(two.id);
    expect(one.topic).toBe('collector/payloads');

    const byId = await app.api('/dead-letters/replay', { method: 'POST', body: JSON.stringify({ ids: [one.id, 'no-such-letter'] }) });
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual({ replayed: 1, notFound: ['no-such-letter'] });
    const again = await app.eventually<Letters>('/dead-letters?limit=1000', (b) => withData(b, poison(1)).length === 1 && withData(b, poison(1))[0]?.id !== one.id);
    expect(again.deadLetters.map((l) => l.id)).not.toContain(one.id);
    expect(withData(again, poison(2)).map((l) => l.id)).toEqual([two.id]);

    const before = again.deadLetters.length;
    const all = await app.api('/dead-letters/replay', { method: 'POST', body: '{}' });
    expect(await all.json()).toEqual({ replayed: before, notFound: [] });
    const after = await app.eventually<Letters>('/dead-letters?limit=1000', (b) => b.deadLetters.length === before);
    expect(after.deadLetters.filter((l) => again.deadLetters.some((old) => old.id === l.id))).toEqual([]);
    const replayedAgain = await app.api('/dead-letters/replay', { method: 'POST', body: JSON.stringify({ ids: [two.id] }) });
    expect(await replayedAgain.json()).toEqual({ replayed: 0, notFound: [two.id] });
  });
});
