import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { code: string; message: string; path?: string } };
}

describe.each(ENGINES)('rules on the private API, %s engine', (engine) => {
  let app: TestInflow;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await app.api(path, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  };
  const buyers = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: 'Buyers',
    trigger: { eventTypes: ['order-completed'] },
    actions: [
      { type: 'increment', trait: 'purchases' },
      { type: 'add-segment', segment: 'buyer' },
    ],
    ...extra,
  });

  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_API_TOKEN: 'a-token-of-sixteen-chars' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('creates, reads, lists, replaces, disables, enables and deletes a rule', async () => {
    const created = await call('POST', '/rules', buyers('buyers'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'buyers', version: 1, enabled: true, warnings: [] });
    expect(created.body['actions']).toEqual([
      { type: 'increment', trait: 'purchases', by: 1 },
      { type: 'add-segment', segment: 'buyer' },
    ]);
    expect(created.headers.get('etag')).toBe('"1"');
    const twice = await call('POST', '/rules', buyers('buyers'));
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'conflict', path: 'id' });
    expect(twice.body.error?.message).toContain('rule "buyers" already exists');

    const read = await call('GET', '/rules/buyers');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe('"1"');
    const listed = await call('GET', '/rules');
    expect((listed.body['rules'] as Array<{ id: string }>).map((rule) => rule.id)).toContain('buyers');

    const replaced = await call('PUT', '/rules/buyers', { ...buyers('buyers'), id: undefined, actions: [{ type: 'increment', trait: 'orders', by: 2 }] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, name: 'Buyers', actions: [{ type: 'increment', trait: 'orders', by: 2 }], createdAt: created.body['createdAt'] });
    expect(replaced.headers.get('etag')).toBe('"2"');

    const disabled = await call('POST', '/rules/buyers/disable');
    expect(disabled.body).toMatchObject({ enabled: false, version: 3 });
    expect((await call('POST', '/rules/buyers/disable')).body).toMatchObject({ enabled: false, version: 3 });
    expect((await call('GET', '/rules/buyers')).body).toMatchObject({ enabled: false, version: 3 });
    expect((await call('POST', '/rules/buyers/enable', undefined, { 'if-match': '2' })).status).toBe(412);
    expect((await call('POST', '/rules/buyers/enable', undefined, { 'if-match': '3' })).body).toMatchObject({ enabled: true, version: 4 });
    // A full replace: `enabled` is the body's.
    expect((await call('PUT', '/rules/buyers', buyers('buyers', { enabled: false }))).body).toMatchObject({ enabled: false, version: 5 });

    const otherId = await call('PUT', '/rules/buyers', buyers('other'));
    expect(otherId.status).toBe(400);
    expect(otherId.body.error).toMatchObject({ code: 'invalid_payload', path: 'id' });
    expect((await call('PUT', '/rules/none', buyers('none'))).status).toBe(404);
    expect((await call('POST', '/rules/none/enable')).status).toBe(404);
    expect((await call('POST', '/rules/none/disable')).status).toBe(404);

    expect((await call('DELETE', '/rules/buyers')).status).toBe(204);
    expect((await call('DELETE', '/rules/buyers')).status).toBe(404);
    const gone = await call('GET', '/rules/buyers');
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'not_found', message: 'rule "buyers" does not exist' });
    expect((await call('POST', '/rules', buyers('buyers'))).body).toMatchObject({ version: 1 });
  });

  it('is compare-and-set: of two PUTs with the same If-Match one wins, the other gets 412; without If-Match both land', async () => {
    expect((await call('POST', '/rules', buyers('cas'))).status).toBe(201);
    const [first, second] = await Promise.all([
      call('PUT', '/rules/cas', { ...buyers('cas'), name: 'first' }, { 'if-match': '1' }),
      call('PUT', '/rules/cas', { ...buyers('cas'), name: 'second' }, { 'if-match': '"1"' }),
    ]);
    expect([first!.status, second!.status].sort()).toEqual([200, 412]);
    const loser = first!.status === 412 ? first! : second!;
    expect(loser.body.error).toMatchObject({ code: 'precondition_failed' });
    expect(loser.body.error?.message).toContain('rule "cas" is at version 2, not 1');
    expect(loser.headers.get('etag')).toBe('"2"');
    const winner = first!.status === 200 ? first! : second!;
    expect((await call('GET', '/rules/cas')).body).toMatchObject({ version: 2, name: winner.body['name'] });

    const badHeader = await call('PUT', '/rules/cas', buyers('cas'), { 'if-match': 'yesterday' });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error?.path).toBe('If-Match');

    const racing = await Promise.all(['x', 'y', 'z'].map((name) => call('PUT', '/rules/cas', { ...buyers('cas'), name })));
    expect(racing.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect((await call('GET', '/rules/cas')).body).toMatchObject({ version: 5 });
  });

  it.each([
    ['an unknown field', { colour: 'red' }, 'colour', 'unknown field'],
    ['an unknown action type', { actions: [{ type: 'explode' }] }, 'actions.0.type', 'must be one of set-trait'],
    ['a trait with a dot', { actions: [{ type: 'increment', trait: 'stats.purchases' }] }, 'actions.0.trait', 'without dots'],
    ['a condition that does not parse', { condition: { field: 'event.type', op: 'resembles', value: 1 } }, 'condition.op', 'must be one of'],
    ['a condition that is not an object', { condition: 'purchases > 3' }, 'condition', 'must be an object'],
    [
      'an emit of an event type its own trigger takes, without maxDepth',
      { actions: [{ type: 'increment', trait: 'n' }, { type: 'emit', event: { type: 'order-completed' } }] },
      'actions.1.event.type',
      'set maxDepth',
    ],
    ['a set-trait value naming a field that cannot exist', { actions: [{ type: 'set-trait', trait: 'nick', value: '{{profile.nickname}}' }] }, 'actions.0.value', 'no field "nickname"'],
    [
      'emit properties naming a field that cannot exist',
      { actions: [{ type: 'emit', event: { type: 'vip-reached', properties: { sku: '{{event.sku}}' } } }] },
      'actions.0.event.properties.sku',
      'no field "sku"',
    ],
    [
      'a delay whose cancel condition does not parse',
      { actions: [{ type: 'delay', ms: 60_000, cancelIf: { field: 'profile.traits.purchases', op: 'resembles', value: 1 } }, { type: 'add-segment', segment: 'late' }] },
      'actions.0.cancelIf.op',
      'must be one of',
    ],
    ['a delay of no time', { actions: [{ type: 'delay', ms: 0 }] }, 'actions.0.ms', ''],
    ['no actions', { actions: [] }, 'actions', ''],
    ['a bad id', { id: 'Not Valid' }, 'id', 'a-z'],
  ])('refuses %s with a 400 naming it', async (_, change, path, message) => {
    const body = { ...buyers('bad'), ...change };
    const created = await call('POST', '/rules', body);
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'invalid_payload', path });
    expect(created.body.error?.message).toContain(message);
    expect((await call('GET', '/rules/bad')).status).toBe(404);
    if ('id' in change) return;
    await call('POST', '/rules', buyers('bad-put'));
    const replaced = await call('PUT', '/rules/bad-put', { ...body, id: 'bad-put' });
    expect(replaced.status).toBe(400);
    expect(replaced.body.error).toMatchObject({ code: 'invalid_payload', path });
  });

  it('takes an emit of its own trigger with maxDepth, and an emit of another type without', async () => {
    const loop = buyers('loop', { maxDepth: 2, actions: [{ type: 'emit', event: { type: 'order-completed' } }] });
    expect((await call('POST', '/rules', loop)).body).toMatchObject({ version: 1, maxDepth: 2 });
    const vip = {
      id: 'vip',
      trigger: { eventTypes: ['order-completed'] },
      condition: { field: 'profile.traits.purchases', op: 'gte', value: 10 },
      actions: [{ type: 'emit', event: { type: 'vip-reached', properties: { purchases: '{{profile.traits.purchases}}' } } }],
    };
    const created = await call('POST', '/rules', vip);
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('maxDepth');
  });

  it('refuses malformed JSON and a body that is not an object', async () => {
    const broken = await call('POST', '/rules', '{"id":');
    expect(broken.status).toBe(400);
    expect(broken.body.error?.code).toBe('malformed_json');
    expect((await call('POST', '/rules', '[1]')).body.error?.path).toBe('(body)');
  });

  it('warns about a dispatch to a destination that does not exist, and saves the rule', async () => {
    const spec = buyers('notify', { actions: [{ type: 'add-segment', segment: 'buyer' }, { type: 'dispatch', destination: 'crm-later' }] });
    const created = await call('POST', '/rules', spec);
    expect(created.status).toBe(201);
    const warning = { path: 'actions.1.destination', message: expect.stringContaining('destination "crm-later" does not exist') };
    expect(created.body['warnings']).toEqual([warning]);
    expect((await call('GET', '/rules/notify')).body['warnings']).toEqual([warning]);
    const listed = (await call('GET', '/rules')).body['rules'] as Array<{ id: string; warnings: unknown[] }>;
    expect(listed.find((rule) => rule.id === 'notify')?.warnings).toEqual([warning]);

    const destination = { id: 'crm-later', webhook: { url: 'http://127.0.0.1:9/in' }, trigger: { eventTypes: ['never'] } };
    expect((await call('POST', '/destinations', destination)).status).toBe(201);
    expect((await call('GET', '/rules/notify')).body['warnings']).toEqual([]);
    expect((await call('POST', '/rules/notify/disable')).body).toMatchObject({ enabled: false, warnings: [] });
  });

  it('needs the bearer token', async () => {
    const response = await fetch(`${app.privateUrl}/rules`);
    expect(response.status).toBe(401);
  });
});
