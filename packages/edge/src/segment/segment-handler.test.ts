import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createLogger, decodeEnvelope, type Envelope, InfrastructureError, QueueUnavailableError, type SourceRecord } from '@inflow/core';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { MAX_JSON_DEPTH } from '@inflow/protocol';
import { createSegmentHandler, MAX_BATCH_BYTES, MAX_BATCH_DEPTH, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, type SegmentDeps, type SegmentEndpoint } from './segment-handler.js';
import type { SegmentErrorBody } from './segment-replies.js';

const SOURCES: Record<string, SourceRecord> = {
  web: { id: 'web', name: 'web', enabled: true, allowedOrigins: ['https://shop.test'], createdAt: '', updatedAt: '' },
  off: { id: 'off', name: 'off', enabled: false, allowedOrigins: ['*'], createdAt: '', updatedAt: '' },
};

interface Harness {
  send(endpoint: SegmentEndpoint, body: unknown, headers?: Record<string, string>): Promise<HttpReply>;
  queued: Array<{ lane: string; envelope: Envelope; events: number }>;
}

function harness(options: { queueDown?: boolean; storeDown?: boolean; maxEvents?: number; maxBodyBytes?: number } = {}): Harness {
  const queued: Harness['queued'] = [];
  const deps: SegmentDeps = {
    sources: {
      peek: (id) => (options.storeDown ? undefined : (SOURCES[id] ?? null)),
      check: (id) => Promise.resolve(options.storeDown ? { unreachable: new InfrastructureError('store', 'connect ECONNREFUSED').message } : (SOURCES[id] ?? null)),
      originAllowedAnywhere: () => Promise.resolve(true),
      originAllowedSomewhere: () => Promise.resolve(true),
    },
    limits: { maxEvents: options.maxEvents ?? 100, maxEventBytes: 65_536, maxBodyBytes: options.maxBodyBytes },
    queueTimeoutMs: 1_000,
    collectorQueue: {
      append(lane, data, _deadline, events) {
        if (options.queueDown) return Promise.reject(new QueueUnavailableError('broker down', 7));
        queued.push({ lane, envelope: decodeEnvelope(data), events: events ?? 1 });
        return Promise.resolve();
      },
    },
    isAccepting: () => true,
    logger: createLogger({ level: 'error', format: 'text', sink: () => undefined }),
  };
  const handlers = new Map<SegmentEndpoint, (request: HttpRequest) => Promise<HttpReply>>();
  return {
    queued,
    send(endpoint, body, headers = {}) {
      const handler = handlers.get(endpoint) ?? createSegmentHandler(deps, endpoint);
      handlers.set(endpoint, handler);
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      return handler({
        method: 'POST',
        path: `/v1/${endpoint}`,
        query: '',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('web:').toString('base64')}`, ...headers },
        body: bytes,
        remoteAddress: '127.0.0.1',
      });
    },
  };
}

function errorOf(reply: HttpReply): SegmentErrorBody['error'] {
  const body = JSON.parse(String(reply.body)) as SegmentErrorBody;
  expect(body.success).toBe(false);
  // The code and message at the top too, where clients read them.
  expect([body.code, body.message]).toEqual([body.error.code, body.error.message]);
  return body.error;
}

const track = (userId: string, event = 'Clicked', extra: Record<string, unknown> = {}) => ({ type: 'track', userId, event, ...extra });

describe('Segment handler', () => {
  it('answers 200 {"success": true} once the queue has one request per profile, in order', async () => {
    const h = harness();
    const reply = await h.send('batch', {
      batch: [track('u1', 'a', { messageId: 'm1' }), track('u2', 'b', { messageId: 'm2' }), { type: 'identify', userId: 'u1', messageId: 'm3', traits: { plan: 'pro' } }],
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(String(reply.body))).toEqual({ success: true });
    expect(h.queued.map((q) => [q.lane, q.events, q.envelope.payload.events.map((e) => e.id)])).toEqual([
      ['u1', 2, ['m1', 'm3']],
      ['u2', 1, ['m2']],
    ]);
    const payload = h.queued[0]?.envelope.payload;
    expect(payload).toMatchObject({ source: { id: 'web' }, profile: { id: 'u1' } });
    expect(payload?.session.id).toMatch(/^sg-/);
    expect(payload?.events[1]).toMatchObject({ type: 'identify', properties: { traits: { plan: 'pro' } } });
  });

  it("queues the client's own time with the batch's sentAt, for the collector to correct the clock", async () => {
    const h = harness();
    const now = Date.now();
    const skew = 3_600_000; // the client is an hour behind
    const sentAt = new Date(now - skew).toISOString();
    const timestamp = new Date(now - skew - 60_000).toISOString();
    await h.send('batch', { sentAt, batch: [track('u', 'e', { timestamp })] });
    const payload = h.queued[0]?.envelope.payload;
    expect(payload?.sentAt).toBe(sentAt);
    expect(payload?.events[0]?.time).toBe(timestamp);
  });

  it('gives messages without a messageId an id of their own', async () => {
    const h = harness();
    await h.send('track', { userId: 'u', event: 'e' });
    expect(h.queued[0]?.envelope.payload.events[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes the write key from the body when there is no Basic header; 401 without a key or with an unknown one; 403 for a disabled source', async () => {
    const h = harness();
    expect((await h.send('track', { writeKey: 'web', userId: 'u', event: 'e' }, { authorization: '' })).status).toBe(200);
    const none = await h.send('track', { userId: 'u', event: 'e' }, { authorization: '' });
    expect([none.status, errorOf(none).code]).toEqual([401, 'missing_write_key']);
    const unknown = await h.send('track', { userId: 'u', event: 'e' }, { authorization: `Basic ${Buffer.from('nope:').toString('base64')}` });
    expect([unknown.status, errorOf(unknown).code]).toEqual([401, 'invalid_write_key']);
    const off = await h.send('track', { writeKey: 'off', userId: 'u', event: 'e' }, { authorization: '' });
    expect([off.status, errorOf(off).code]).toEqual([403, 'source_disabled']);
    expect(h.queued).toHaveLength(1);
  });

  it('reads gzip bodies', async () => {
    const h = harness();
    const reply = await h.send('batch', gzipSync(JSON.stringify({ batch: [track('u')] })), { 'content-encoding': 'gzip' });
    expect(reply.status).toBe(200);
    expect(h.queued).toHaveLength(1);
  });

  it('stops inflating a gzip bomb at the batch limit: 413, nothing queued', async () => {
    const h = harness();
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MB of spaces, about 50 kB compressed
    expect(bomb.length).toBeLessThan(100_000);
    const before = process.memoryUsage().arrayBuffers;
    const reply = await h.send('batch', bomb, { 'content-encoding': 'gzip' });
    expect([reply.status, errorOf(reply).code]).toEqual([413, 'payload_too_large']);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10 * 1024 * 1024);
    expect(h.queued).toHaveLength(0);
  });

  it('refuses broken gzip (400) and other encodings (415)', async () => {
    const h = harness();
    const broken = await h.send('batch', Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
    expect([broken.status, errorOf(broken).code]).toEqual([400, 'malformed_gzip']);
    const truncated = await h.send('batch', gzipSync(JSON.stringify({ batch: [] })).subarray(0, 12), { 'content-encoding': 'gzip' });
    expect(truncated.status).toBe(400);
    const br = await h.send('batch', { batch: [] }, { 'content-encoding': 'br' });
    expect([br.status, errorOf(br).code]).toEqual([415, 'unsupported_encoding']);
  });

  it('takes batches up to the body limit (RudderStack sends up to 4 MB), gzipped too; a gzip body inflating past it gets 413', async () => {
    const filler = { blob: 'é'.repeat(15_000) }; // 30 KB in UTF-8, under 32 KB a message
    const batch = (n: number) => ({ batch: Array.from({ length: n }, (_, i) => track(`u${i}`, 'e', { properties: filler })) });
    const body = JSON.stringify(batch(40)); // about 1.2 MB
    expect(Buffer.byteLength(body)).toBeGreaterThan(1_000_000);
    const wide = harness({ maxBodyBytes: 2_000_000 });
    expect((await wide.send('batch', body)).status).toBe(200);
    expect((await wide.send('batch', gzipSync(body), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect(wide.queued.flatMap((q) => q.envelope.payload.events)).toHaveLength(80);
    // Sent uncompressed, a larger body never gets here: the HTTP layer answers 413 first.
    const over = await wide.send('batch', gzipSync(JSON.stringify(batch(70))), { 'content-encoding': 'gzip' });
    expect([over.status, errorOf(over).code]).toEqual([413, 'payload_too_large']);
    expect(errorOf(over).message).toContain('2000000 bytes');
  });

  it("holds Segment's limits: 500 KB per batch, 32 KB per message, both 400", async () => {
    const h = harness();
    const filler = (bytes: number) => ({ blob: 'x'.repeat(bytes) });
    const fits = Array.from({ length: 16 }, (_, i) => track(`u${i}`, 'e', { properties: filler(30_000) }));
    expect(JSON.stringify({ batch: fits }).length).toBeLessThan(MAX_BATCH_BYTES);
    expect((await h.send('batch', { batch: fits })).status).toBe(200);

    const big = await h.send('batch', { batch: Array.from({ length: 18 }, () => track('u', 'e', { properties: filler(30_000) })) });
    expect([big.status, errorOf(big).code]).toEqual([400, 'batch_too_large']);
    // One message over 32 KB is refused alone, named; the rest of its batch is taken.
    const before = h.queued.length;
    const oneTooBig = await h.send('batch', { batch: [track('u', 'kept'), track('u', 'e', { properties: filler(MAX_MESSAGE_BYTES) })] });
    expect(oneTooBig.status).toBe(200);
    expect(JSON.parse(String(oneTooBig.body))).toEqual({
      success: true,
      rejected: [{ index: 1, code: 'message_too_large', path: 'batch.1', message: expect.stringContaining(`at most ${MAX_MESSAGE_BYTES} bytes`) as string }],
    });
    expect(h.queued.slice(before).map((q) => q.envelope.payload.events.map((e) => e.type))).toEqual([['kept']]);
    // Noted for the intake log, which warns about it (the client may not read `rejected`).
    expect(oneTooBig.refusedEvents).toEqual({ count: 1, code: 'message_too_large' });
    const allTooBig = await h.send('batch', { batch: [track('u', 'e', { properties: filler(MAX_MESSAGE_BYTES) })] });
    expect([allTooBig.status, errorOf(allTooBig).code, errorOf(allTooBig).path]).toEqual([400, 'message_too_large', 'batch.0']);
    // A batch context is stored in each message's event: 60 KB of it on 500 small messages would store 30 MB.
    const amplified = await h.send('batch', { context: filler(60_000), batch: Array.from({ length: 500 }, (_, i) => track(`u${i}`)) });
    expect([amplified.status, errorOf(amplified).code, errorOf(amplified).path]).toEqual([400, 'batch_too_large', 'context']);
    // Each message may be a queued request of its own: a batch holds at most MAX_BATCH_MESSAGES.
    const many = (count: number) => ({ batch: Array.from({ length: count }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'e' })) });
    expect(JSON.stringify(many(MAX_BATCH_MESSAGES + 1)).length).toBeLessThan(MAX_BATCH_BYTES);
    const crowded = await h.send('batch', many(MAX_BATCH_MESSAGES + 1));
    expect([crowded.status, errorOf(crowded).code, errorOf(crowded).path, errorOf(crowded).message]).toEqual([400, 'batch_too_large', 'batch', `the batch has ${MAX_BATCH_MESSAGES + 1} messages; at most ${MAX_BATCH_MESSAGES} are accepted (send them in several batches)`]);
    expect((await h.send('batch', many(MAX_BATCH_MESSAGES))).status).toBe(200);
    const single = await h.send('track', track('u', 'e', { properties: filler(MAX_MESSAGE_BYTES) }));
    expect([single.status, errorOf(single).code]).toEqual([400, 'message_too_large']);
    // The same call gzipped is refused alike.
    const gzipped = await h.send('track', gzipSync(JSON.stringify(track('u', 'e', { properties: filler(MAX_MESSAGE_BYTES) }))), { 'content-encoding': 'gzip' });
    expect([gzipped.status, errorOf(gzipped).code, errorOf(gzipped).message]).toEqual([400, 'message_too_large', `the message is over ${MAX_MESSAGE_BYTES} bytes once decompressed; at most ${MAX_MESSAGE_BYTES} bytes are accepted`]);
  });

  it('answers 400 naming the problem for malformed JSON, and for a request of which no message can be taken', async () => {
    const h = harness();
    const malformed = await h.send('batch', '{"batch": [');
    expect([malformed.status, errorOf(malformed).code]).toEqual([400, 'malformed_json']);
    const notBatch = await h.send('batch', { batch: 'nope' });
    expect(errorOf(notBatch)).toMatchObject({ code: 'invalid_message', path: 'batch' });
    const noEvent = await h.send('batch', { batch: [{ type: 'track', userId: 'u' }, { type: 'track', userId: 'v', event: 'x'.repeat(200) }] });
    expect(noEvent.status).toBe(400);
    expect(errorOf(noEvent)).toMatchObject({ code: 'invalid_message', path: 'batch.0.event' });
    expect(errorOf(noEvent).message).toContain('event name');
    const noIds = await h.send('page', { name: 'Home' });
    expect(errorOf(noIds)).toMatchObject({ code: 'invalid_message', path: 'userId' });
    // Passes the Segment checks but not what storage takes: named as the message, with the Inflow field.
    const badKey = await h.send('track', track('u', 'e', { properties: { '': 1 } }));
    expect(badKey.status).toBe(400);
    expect(errorOf(badKey).message).toBe('properties has an empty key (as an Inflow event, it cannot be stored)');
    const deep = await h.send('track', track('u', 'e', { properties: JSON.parse('{"a":'.repeat(20) + '1' + '}'.repeat(20)) as object }));
    expect([deep.status, errorOf(deep).code]).toEqual([400, 'too_deep']);
    expect(h.queued).toHaveLength(0);
  });

  it('refuses a message of a batch nested too deep alone, and a batch past its own depth limit whole', async () => {
    const nestedObject = (levels: number): object => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels)) as object;
    const h = harness();
    // A message may nest MAX_JSON_DEPTH levels (the message itself is one, its properties two).
    const deepest = track('u', 'deepest', { properties: nestedObject(MAX_JSON_DEPTH - 1) });
    const tooDeep = track('u', 'too-deep', { properties: nestedObject(MAX_JSON_DEPTH) });
    const reply = await h.send('batch', { batch: [track('u', 'first'), tooDeep, deepest, track('v', 'other')] });
    expect(reply.status).toBe(200);
    const body = JSON.parse(String(reply.body)) as { rejected: Array<{ index: number; code: string; path: string; message: string }> };
    expect(body.rejected).toEqual([{ index: 1, code: 'too_deep', path: 'batch.1', message: `batch.1 nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted per message` }]);
    expect(h.queued.map((q) => q.envelope.payload.events.map((e) => e.type))).toEqual([['first', 'deepest'], ['other']]);
    // The same message alone, as a single call: refused with the same limit.
    const single = await h.send('track', tooDeep);
    expect([single.status, errorOf(single).code]).toEqual([400, 'too_deep']);
    expect((await h.send('track', deepest)).status).toBe(200);

    // Far deeper than any message may be (20,000 levels): the body is refused whole, before it is parsed.
    const hostile = await h.send('batch', `{"batch":[${'['.repeat(20_000)}${']'.repeat(20_000)}]}`);
    expect([hostile.status, errorOf(hostile).code]).toEqual([400, 'too_deep']);
    expect(errorOf(hostile).message).toContain(`at most ${MAX_BATCH_DEPTH}`);
    // A batch context too deep for the messages it is merged into refuses the batch, naming it.
    const deepContext = await h.send('batch', { context: nestedObject(MAX_JSON_DEPTH), batch: [track('w', 'x')] });
    expect([deepContext.status, errorOf(deepContext).code, errorOf(deepContext).path]).toEqual([400, 'too_deep', 'context']);
    expect((await h.send('batch', { context: nestedObject(MAX_JSON_DEPTH - 1), batch: [track('w', 'y')] })).status).toBe(200);
    // Every message too deep: nothing taken, the first one's problem.
    const none = await h.send('batch', { batch: [tooDeep, tooDeep] });
    expect([none.status, errorOf(none).code, errorOf(none).path]).toEqual([400, 'too_deep', 'batch.0']);
    expect(h.queued.map((q) => q.envelope.payload.events.map((e) => e.type))).toEqual([['first', 'deepest'], ['other'], ['deepest'], ['y']]);
  });

  it('names a refused field as the client sent it (userId, messageId, traits), not as the Inflow event made of it', async () => {
    const h = harness();
    const reply = await h.send('batch', {
      batch: [
        { type: 'track', userId: 'a\u0000b', event: 'E' },
        { type: 'track', anonymousId: 'anon', messageId: 'm\u0001', event: 'E' },
        { type: 'identify', userId: 'u', traits: { a: { '': 1 } } },
        { type: 'identify', userId: 'u', context: { traits: { b: { '': 1 } } } },
        { type: 'group', userId: 'u', groupId: 'g', traits: { '': 1 } },
        track('u', 'kept', { properties: { traits: { '': 1 } } }),
        track('u', 'fine'),
        // A key with a line break: only its own message is refused.
        track('w', 'broken', { properties: { 'a\nb': { '': 1 } } }),
        track('w', 'fine too'),
        // An anonymousId beside a userId is kept in the context, where any string may stand.
        { type: 'track', userId: 'x', anonymousId: 'a\u0001', event: 'kept' },
      ],
    });
    expect(reply.status).toBe(200);
    const body = JSON.parse(String(reply.body)) as { rejected: Array<{ index: number; path: string; message: string }> };
    expect(body.rejected.map((r) => [r.index, r.path])).toEqual([
      [0, 'batch.0.userId'],
      [1, 'batch.1.messageId'],
      [2, 'batch.2.traits.a'],
      [3, 'batch.3.context.traits.b'],
      [4, 'batch.4.traits'],
      [5, 'batch.5.properties.traits'],
      [7, 'batch.7.properties.a\nb'],
    ]);
    expect(h.queued.flatMap((q) => q.envelope.payload.events.map((e) => e.type))).toEqual(['fine', 'fine too', 'kept']);
    expect(body.rejected[0]?.message).toMatch(/^batch\.0\.userId must not contain control characters/);
    expect(body.rejected[2]?.message).toBe('batch.2.traits.a has an empty key (as an Inflow event, it cannot be stored)');
    // A bad key in the batch's own context is named there, and refuses the batch (it is every message's).
    const shared = await h.send('batch', { context: { page: { '': 1 } }, batch: [track('u', 'a'), track('u', 'b')] });
    expect([shared.status, errorOf(shared).path, errorOf(shared).message]).toEqual([400, 'context.page', 'context.page has an empty key']);
    // A single call: the field alone.
    const single = await h.send('track', { anonymousId: 'x\u0007', event: 'E' });
    expect([single.status, errorOf(single).path]).toEqual([400, 'anonymousId']);
    const traits = await h.send('identify', { userId: 'u', traits: { a: { '': 1 } } });
    expect([traits.status, errorOf(traits).path, errorOf(traits).message]).toEqual([400, 'traits.a', 'traits.a has an empty key (as an Inflow event, it cannot be stored)']);
  });

  it('takes the valid messages of a batch and names each one refused (Segment answers 200 to a batch with bad messages)', async () => {
    const h = harness();
    const reply = await h.send('batch', {
      batch: [track('u', 'first'), { type: 'track', userId: 'u', event: 'x'.repeat(200) }, track('u', 'e', { properties: { '': 1 } }), track('v', 'other'), track('u', 'last')],
    });
    expect(reply.status).toBe(200);
    const body = JSON.parse(String(reply.body)) as { success: boolean; rejected: Array<{ index: number; code: string; path: string; message: string }> };
    expect(body.success).toBe(true);
    expect(body.rejected.map((r) => [r.index, r.code, r.path])).toEqual([
      [1, 'invalid_message', 'batch.1.event'],
      [2, 'invalid_message', 'batch.2.properties'],
    ]);
    // Named by the message's place in the batch, not the event's in the request made of it.
    expect(body.rejected[1]?.message).toBe('batch.2.properties has an empty key (as an Inflow event, it cannot be stored)');
    expect(h.queued.map((q) => [q.envelope.payload.profile.id, q.envelope.payload.events.map((e) => e.type)])).toEqual([
      ['u', ['first', 'last']],
      ['v', ['other']],
    ]);
  });

  it('reads the body as JSON whatever media type it is sent as (RudderStack\u2019s Node client sends gzipped JSON as a form)', async () => {
    const h = harness();
    const form = await h.send('batch', gzipSync(JSON.stringify({ batch: [track('u', 'formed')] })), { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' });
    expect(form.status).toBe(200);
    const xml = await h.send('track', track('u', 'xml'), { 'content-type': 'application/xml' });
    expect(xml.status).toBe(200);
    expect(h.queued.map((q) => q.envelope.payload.events[0]?.type)).toEqual(['formed', 'xml']);
  });

  it('answers 200 to an empty batch and queues nothing', async () => {
    const h = harness();
    expect((await h.send('batch', { batch: [] })).status).toBe(200);
    expect(h.queued).toHaveLength(0);
  });

  it('answers 503 with Retry-After, not 500, when the write key cannot be checked (the store behind the sources is down)', async () => {
    const h = harness({ storeDown: true });
    const reply = await h.send('track', track('u'));
    expect([reply.status, reply.headers?.['retry-after'], errorOf(reply).code]).toEqual([503, '1', 'service_unavailable']);
    expect(h.queued).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the queue cannot take the messages', async () => {
    const h = harness({ queueDown: true });
    const reply = await h.send('batch', { batch: [track('u')] });
    expect([reply.status, errorOf(reply).code, reply.headers?.['retry-after']]).toEqual([503, 'queue_unavailable', '7']);
  });

  it('cuts one profile into requests of at most maxEvents events, in order', async () => {
    const h = harness({ maxEvents: 2 });
    await h.send('batch', { batch: Array.from({ length: 5 }, (_, i) => track('u', `e${i}`)) });
    expect(h.queued.map((q) => q.envelope.payload.events.map((e) => e.type))).toEqual([['e0', 'e1'], ['e2', 'e3'], ['e4']]);
  });

  it("uses the end user's address and browser from the context, and answers browsers with CORS", async () => {
    const h = harness();
    const reply = await h.send('track', track('u', 'e', { context: { ip: '198.51.100.7', userAgent: 'Browser/2' } }), { origin: 'https://shop.test', 'user-agent': 'relay/1' });
    expect(reply.headers).toMatchObject({ 'access-control-allow-origin': 'https://shop.test', 'access-control-allow-credentials': 'true' });
    expect(h.queued[0]?.envelope.meta).toMatchObject({ ip: '198.51.100.7', userAgent: 'Browser/2', origin: 'https://shop.test' });
    const elsewhere = await h.send('track', track('u'), { origin: 'https://evil.test' });
    expect([elsewhere.status, errorOf(elsewhere).code]).toEqual([403, 'origin_not_allowed']);
    expect(elsewhere.headers?.['access-control-allow-origin']).toBeUndefined();
  });

  it("stores each message of a batch with its own browser and address, the HTTP request's where it names none", async () => {
    const h = harness();
    const reply = await h.send(
      'batch',
      {
        batch: [
          track('u', 'A', { messageId: 'a', context: { userAgent: 'Phone/1', ip: '192.0.2.1' } }),
          track('u', 'B', { messageId: 'b', context: { userAgent: 'Desktop/2' } }),
          track('u', 'C', { messageId: 'c' }),
          track('u', 'D', { messageId: 'd' }),
          track('u', 'E', { messageId: 'e', context: { userAgent: 'Phone/1', ip: '192.0.2.1' } }),
        ],
      },
      { 'user-agent': 'relay/9' },
    );
    expect(reply.status).toBe(200);
    // One request per run of messages alike, in the batch's order: the profile's order is kept.
    expect(h.queued.map((q) => [q.envelope.payload.events.map((e) => e.id), q.envelope.meta.userAgent, q.envelope.meta.ip])).toEqual([
      [['a'], 'Phone/1', '192.0.2.1'],
      [['b'], 'Desktop/2', '127.0.0.1'],
      [['c', 'd'], 'relay/9', '127.0.0.1'],
      [['e'], 'Phone/1', '192.0.2.1'],
    ]);
  });
});
