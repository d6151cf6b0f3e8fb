import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey } from '@inflow/workers';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const SECRET = 'Bearer s3cret-value-4242';

interface Answer {
  status: number;
  text: string;
  headers: Headers;
  body: Record<string, unknown> & { error?: { code: string; message: string; path?: string } };
}

describe.each(ENGINES)('destinations on the private API, %s engine', (engine) => {
  let app: TestInflow;
  let receiver: WebhookReceiver;
  /** Every answer body, as text: a secret value must appear in none. */
  const seen: string[] = [];
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await app.api(path, init);
    const text = await response.text();
    seen.push(text);
    return { status: response.status, text, headers: response.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  };
  const crm = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: 'CRM',
    webhook: { url: `${receiver.url}/hooks/${id}`, headers: { 'x-team': 'growth' }, secretHeaders: { authorization: 'crm-token' } },
    trigger: { eventTypes: ['order-completed'] },
    mapping: { orderId: '{{event.properties.orderId}}', email: '{{profile.traits.email}}', label: 'Order {{event.properties.orderId}}' },
    ...extra,
  });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startInflow({ ...engineEnv(engine), INFLOW_API_TOKEN: 'a-token-of-sixteen-chars', INFLOW_SECRET_CRM_TOKEN: SECRET });
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
  });

  it('creates, reads, lists, replaces, pauses, resumes and deletes a destination', async () => {
    const created = await call('POST', '/destinations', crm('crm-a'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'crm-a', version: 1, revision: 1, paused: false, enabled: true, warnings: [] });
    expect(created.body).toMatchObject({ webhook: { method: 'POST', timeoutMs: 10_000 }, delivery: { minAttempts: 10 } });
    expect(created.headers.get('etag')).toBe('"1"');
    const twice = await call('POST', '/destinations', crm('crm-a'));
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'conflict', path: 'id' });

    const read = await call('GET', '/destinations/crm-a');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const listed = await call('GET', '/destinations');
    expect((listed.body['destinations'] as Array<{ id: string }>).map((d) => d.id)).toContain('crm-a');

    // A new name sends the same requests: version moves, revision (part of the Idempotency-Key) does not.
    const renamed = await call('PUT', '/destinations/crm-a', { ...crm('crm-a'), name: 'Our CRM' });
    expect(renamed.body).toMatchObject({ version: 2, revision: 1, name: 'Our CRM', createdAt: created.body['createdAt'] });
    const remapped = await call('PUT', '/destinations/crm-a', { ...crm('crm-a'), id: undefined, mapping: { orderId: '{{event.id}}' } });
    expect(remapped.status).toBe(200);
    expect(remapped.body).toMatchObject({ version: 3, revision: 2, name: 'CRM', mapping: { orderId: '{{event.id}}' } });

    const paused = await call('POST', '/destinations/crm-a/pause');
    expect(paused.body).toMatchObject({ paused: true, version: 4, revision: 2 });
    expect((await call('POST', '/destinations/crm-a/pause')).body).toMatchObject({ paused: true, version: 4 });
    // A full replace keeps the pause: pausing is not part of the spec.
    expect((await call('PUT', '/destinations/crm-a', crm('crm-a'))).body).toMatchObject({ paused: true, version: 5, revision: 3 });
    const resumed = await call('POST', '/destinations/crm-a/resume');
    expect(resumed.body).toMatchObject({ paused: false, version: 6, revision: 3 });

    const otherId = await call('PUT', '/destinations/crm-a', crm('crm-b'));
    expect(otherId.status).toBe(400);
    expect(otherId.body.error).toMatchObject({ code: 'invalid_payload', path: 'id' });
    expect((await call('PUT', '/destinations/none', crm('none'))).status).toBe(404);
    expect((await call('POST', '/destinations/none/pause')).status).toBe(404);
    expect((await call('POST', '/destinations/none/test')).status).toBe(404);

    expect((await call('DELETE', '/destinations/crm-a')).status).toBe(204);
    expect((await call('DELETE', '/destinations/crm-a')).status).toBe(404);
    const gone = await call('GET', '/destinations/crm-a');
    expect(gone.status).toBe(404);
    expect(gone.body.error?.code).toBe('not_found');
    // A deleted id can be created again, from version 1.
    expect((await call('POST', '/destinations', crm('crm-a'))).body).toMatchObject({ version: 1, revision: 1 });
  });

  it('is compare-and-set: of two PUTs with the same If-Match one wins, the other gets 412; without If-Match both land', async () => {
    expect((await call('POST', '/destinations', crm('cas'))).status).toBe(201);
    const [first, second] = await Promise.all([
      call('PUT', '/destinations/cas', { ...crm('cas'), name: 'first' }, { 'if-match': '1' }),
      call('PUT', '/destinations/cas', { ...crm('cas'), name: 'second' }, { 'if-match': '"1"' }),
    ]);
    expect([first!.status, second!.status].sort()).toEqual([200, 412]);
    const loser = first!.status === 412 ? first! : second!;
    expect(loser.body.error).toMatchObject({ code: 'precondition_failed' });
    expect(loser.body.error?.message).toContain('version 2, not 1');
    const winner = first!.status === 200 ? first! : second!;
    expect((await call('GET', '/destinations/cas')).body).toMatchObject({ version: 2, name: winner.body['name'] });

    expect((await call('PUT', '/destinations/cas', crm('cas'), { 'if-match': '1' })).status).toBe(412);
    expect((await call('POST', '/destinations/cas/pause', undefined, { 'if-match': '1' })).status).toBe(412);
    const badHeader = await call('PUT', '/destinations/cas', crm('cas'), { 'if-match': 'yesterday' });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error?.path).toBe('If-Match');

    const racing = await Promise.all(['x', 'y', 'z'].map((name) => call('PUT', '/destinations/cas', { ...crm('cas'), name })));
    expect(racing.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect((await call('GET', '/destinations/cas')).body).toMatchObject({ version: 5, revision: 1 });
  });

  it.each([
    ['an unknown field', { colour: 'red' }, 'colour', 'unknown field'],
    ['an invalid URL', { webhook: { url: 'not a url' } }, 'webhook.url', 'absolute'],
    ['a URL that is not http', { webhook: { url: 'ftp://files.example/in' } }, 'webhook.url', 'http or https'],
    ['a mapping path that cannot exist', { mapping: { who: '{{profile.nickname}}' } }, 'mapping.who', 'no field "nickname"'],
    ['a condition that does not parse', { trigger: { condition: { field: 'event.type', op: 'resembles', value: 1 } } }, 'trigger.condition.op', ''],
    ['a condition that is not an object', { trigger: { condition: 'total > 3' } }, 'trigger.condition', 'must be an object'],
    ['a bad id', { id: 'Not Valid' }, 'id', 'a-z'],
  ])('refuses %s with a 400 naming it', async (_, change, path, message) => {
    const body = { ...crm('bad'), ...change };
    const created = await call('POST', '/destinations', body);
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'invalid_payload', path });
    expect(created.body.error?.message).toContain(message);
    expect((await call('GET', '/destinations/bad')).status).toBe(404);
    await call('POST', '/destinations', crm('bad-put'));
    const replaced = await call('PUT', '/destinations/bad-put', { ...body, id: 'bad-put', ...('id' in change ? { id: undefined } : {}) });
    if (!('id' in change)) expect(replaced.body.error).toMatchObject({ code: 'invalid_payload', path });
  });

  it('refuses malformed JSON and a body that is not an object', async () => {
    const broken = await call('POST', '/destinations', '{"id":');
    expect(broken.status).toBe(400);
    expect(broken.body.error?.code).toBe('malformed_json');
    expect((await call('POST', '/destinations', '[1]')).body.error?.path).toBe('(body)');
  });

  it('warns about a secret that is not configured, and the test call refuses to send without it', async () => {
    const spec = crm('unset', { webhook: { url: `${receiver.url}/x`, secretHeaders: { 'x-signature': 'signing-key' } } });
    const created = await call('POST', '/destinations', spec);
    expect(created.status).toBe(201);
    expect(created.body['warnings']).toEqual([{ path: 'webhook.secretHeaders.x-signature', message: expect.stringContaining('INFLOW_SECRET_SIGNING_KEY') }]);
    expect((await call('PUT', '/destinations/unset', spec)).body['warnings']).toHaveLength(1);
    const before = receiver.received.length;
    const tested = await call('POST', '/destinations/unset/test');
    expect(tested.status).toBe(400);
    expect(tested.body.error).toMatchObject({ code: 'invalid_payload', path: 'webhook.secretHeaders.x-signature' });
    expect(tested.body.error?.message).toContain('"signing-key"');
    expect(receiver.received.length).toBe(before);
  });

  it('test: renders the mapping for a sample and sends one real request, the secret redacted in the answer', async () => {
    expect((await call('POST', '/destinations', crm('sender'))).status).toBe(201);
    const before = receiver.received.length;
    const tested = await call('POST', '/destinations/sender/test', {
      event: { id: 'sample-1', properties: { orderId: 'o-77' } },
      profile: { traits: { email: 'jane@example.com' } },
    });
    expect(tested.status).toBe(200);
    const key = idempotencyKey('sender', 1, { id: 'sample-1', profileId: 'test-profile' });
    const rendered = { orderId: 'o-77', email: 'jane@example.com', label: 'Order o-77' };
    expect(tested.body['request']).toEqual({
      method: 'POST',
      url: `${receiver.url}/hooks/sender`,
      headers: { 'content-type': 'application/json', 'x-team': 'growth', authorization: '***', 'idempotency-key': key },
      body: rendered,
    });
    expect(tested.body['outcome']).toMatchObject({ kind: 'answer', status: 200 });
    // The receiver echoed every header it got, the secret one included: the answer shows it as ***.
    expect((tested.body['outcome'] as { body: string }).body).toContain('"authorization":"***"');

    expect(receiver.received.length).toBe(before + 1);
    const got = receiver.received[before]!;
    expect(got).toMatchObject({ method: 'POST', path: '/hooks/sender' });
    expect(JSON.parse(got.body)).toEqual(rendered);
    expect(got.headers['idempotency-key']).toBe(key);
    expect(got.headers['authorization']).toBe(SECRET);
    expect(got.headers['x-team']).toBe('growth');

    // Without an event id each test is a new event; the key follows the revision.
    await call('PUT', '/destinations/sender', { ...crm('sender'), mapping: { id: '{{event.id}}', type: '{{event.type}}' } });
    const plain = await call('POST', '/destinations/sender/test');
    const sampleId = ((plain.body['request'] as { body: { id: string; type: string } }).body).id;
    expect((plain.body['request'] as { body: { type: string } }).body.type).toBe('order-completed');
    expect(receiver.received.at(-1)!.headers['idempotency-key']).toBe(idempotencyKey('sender', 2, { id: sampleId, profileId: 'test-profile' }));

    const unknownPart = await call('POST', '/destinations/sender/test', { event: { colour: 'red' } });
    expect(unknownPart.status).toBe(400);
    expect(unknownPart.body.error?.path).toBe('event.colour');
    expect((await call('POST', '/destinations/sender/test', { visitor: {} })).body.error?.path).toBe('visitor');
  });

  it('reports a receiver that cannot be reached as the outcome, not an error', async () => {
    const gone = await startWebhookReceiver();
    await gone.close();
    await call('POST', '/destinations', crm('down', { webhook: { url: `${gone.url}/in`, secretHeaders: { authorization: 'crm-token' } } }));
    const tested = await call('POST', '/destinations/down/test');
    expect(tested.status).toBe(200);
    expect(tested.body['outcome']).toMatchObject({ kind: 'network', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('never shows a secret value in an answer or a log line', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) expect(text).not.toContain('s3cret-value');
    for (const line of app.logs) expect(line).not.toContain('s3cret-value');
  });
});
