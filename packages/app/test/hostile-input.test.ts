import { connect } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FREE_FORM_ENTRIES, MAX_JSON_DEPTH, MAX_KEY_LENGTH, type ErrorBody, type TrackAccepted } from '@inflow/protocol';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

const MAX_BODY_BYTES = 131_072;
const MAX_EVENTS = 10;
const MAX_EVENT_BYTES = 16_384;
const LIMITS = { INFLOW_MAX_BODY_BYTES: String(MAX_BODY_BYTES), INFLOW_MAX_EVENTS: String(MAX_EVENTS), INFLOW_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) };
const SOURCE = 'hostile';

/** A body around raw event JSON, kept as text so that it can hold what JSON.stringify never writes. */
const bodyWith = (eventsJson: string, rest = ''): string => `{"source":{"id":"${SOURCE}"}${rest},"events":[${eventsJson}]}`;
/** An event whose properties hold `raw` (JSON text). */
const eventWith = (raw: string): string => bodyWith(`{"type":"a","properties":${raw}}`);
/** `levels` nested objects as JSON text. */
const objects = (levels: number): string => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
/** A body nested `depth` levels in all (body, events, event, properties and below). */
const bodyDeep = (depth: number): string => eventWith(objects(depth - 3));
/** Where bodyDeep's event goes past the limit: its first object below the deepest level allowed. */
const DEEP_EVENT_PATH = `events.0.properties${'.a'.repeat(MAX_JSON_DEPTH - 3)}`;
const wide = (count: number): Record<string, number> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));
/** An event whose JSON is exactly `bytes` long in UTF-8, padded with a two-byte character. */
function eventOfBytes(bytes: number, id: string): Record<string, unknown> {
  const event = { id, type: 'sized', properties: { pad: '' } };
  const rest = bytes - Buffer.byteLength(JSON.stringify(event));
  event.properties.pad = 'é'.repeat(Math.floor(rest / 2)) + 'x'.repeat(rest % 2);
  return event;
}

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  expect(response.headers.get('content-type')).toBe('application/json');
  return ((await response.json()) as ErrorBody).error;
}

/** POST /track with bytes as they are (app.track sends text). */
const postBytes = (app: TestInflow, body: Uint8Array): Promise<Response> =>
  fetch(`${app.publicUrl}/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(body) });

/** POST /track with a Content-Encoding (the body as given, already compressed or not). */
const postEncoded = (app: TestInflow, encoding: string, body: Uint8Array): Promise<Response> =>
  fetch(`${app.publicUrl}/track`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: new Uint8Array(body) });

/** Raw HTTP, for what fetch does not send: a chunked body past the limit. Returns the answer's text. */
function rawRequest(app: TestInflow, head: string, body: string): Promise<string> {
  const url = new URL(app.publicUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => undefined); // the edge may close while the rest is still being written
    socket.on('close', () => resolve(text));
    socket.write(head + body);
  });
}

type Refusal = [name: string, body: string | Uint8Array, status: number, code: string, path: string | undefined, message: string];

const REFUSALS: Refusal[] = [
  // Nesting: refused before parsing, whatever the depth, in objects, arrays or unknown keys.
  // An event past the limit is refused alone (PARTIAL); here it is the only one, so the request is refused naming where.
  ['a body one level past the depth limit', bodyDeep(MAX_JSON_DEPTH + 1), 400, 'too_deep', DEEP_EVENT_PATH, `${MAX_JSON_DEPTH} levels`],
  ['nesting 21 deep', bodyDeep(21), 400, 'too_deep', DEEP_EVENT_PATH, `at most ${MAX_JSON_DEPTH}`],
  // Past four times the limit the body is not parsed at all.
  ['nesting 100 deep', bodyDeep(100), 400, 'too_deep', undefined, `at most ${MAX_JSON_DEPTH}`],
  ['objects nested 20,000 deep', bodyDeep(20_000), 400, 'too_deep', undefined, `at most ${MAX_JSON_DEPTH}`],
  ['arrays nested 20,000 deep in an unknown key', bodyWith('{"type":"a"}', `,"extra":${'['.repeat(20_000)}${']'.repeat(20_000)}`), 400, 'too_deep', undefined, 'levels'],
  ['20,000 unclosed brackets', '['.repeat(20_000), 400, 'too_deep', undefined, 'levels'],
  // What is not one event's refuses the request: the request's context, an unknown key.
  ['a request context nested past the depth limit', bodyWith('{"type":"a"}', `,"context":${objects(MAX_JSON_DEPTH)}`), 400, 'too_deep', `context${'.a'.repeat(MAX_JSON_DEPTH - 1)}`, `${MAX_JSON_DEPTH} levels`],
  ['an unknown key nested past the depth limit', bodyWith('{"type":"a"}', `,"extra":${objects(MAX_JSON_DEPTH)}`), 400, 'too_deep', undefined, 'outside its events'],
  // Size.
  ['an event over the size limit', JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'big', properties: { blob: 'x'.repeat(20_000) } }] }), 400, 'event_too_large', 'events.0', 'event 0'],
  ['an event one byte over the limit', JSON.stringify({ source: { id: SOURCE }, events: [eventOfBytes(MAX_EVENT_BYTES + 1, 'over')] }), 400, 'event_too_large', 'events.0', `${MAX_EVENT_BYTES} bytes`],
  ['an event under the limit in characters, over it in UTF-8 bytes', JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'a', properties: { s: '€'.repeat(6_000) } }] }), 400, 'event_too_large', 'events.0', 'event 0'],
  ['an event made large by escapes', JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'a', properties: { s: '\u0001'.repeat(3_000) } }] }), 400, 'event_too_large', 'events.0', 'event 0'],
  // The request's context is stored in every event: it counts in each one's size.
  ['a request context past the event limit on its own', JSON.stringify({ source: { id: SOURCE }, context: { blob: 'c'.repeat(MAX_EVENT_BYTES + 1) }, events: [{ type: 'a' }, { type: 'b' }] }), 400, 'event_too_large', 'context', 'merged into every event'],
  ['an event within the limit alone, past it with the request context', JSON.stringify({ source: { id: SOURCE }, context: { blob: 'c'.repeat(MAX_EVENT_BYTES / 2) }, events: [{ type: 'a', properties: { s: 'p'.repeat(MAX_EVENT_BYTES / 2) } }] }), 400, 'event_too_large', 'events.0', "with the request's context"],
  ['too many events', JSON.stringify({ source: { id: SOURCE }, events: Array.from({ length: MAX_EVENTS + 1 }, () => ({ type: 'a' })) }), 400, 'too_many_events', 'events', `at most ${MAX_EVENTS}`],
  ['too many events, even invalid ones', JSON.stringify({ source: { id: SOURCE }, events: Array.from({ length: 5_000 }, () => 0) }), 400, 'too_many_events', 'events', '5000 events'],
  // Keys and values free-form objects cannot take.
  ['an empty key', eventWith('{"ok":1,"":2}'), 400, 'invalid_payload', 'events.0.properties', 'empty key'],
  ['an empty key in the request context', bodyWith('', ',"context":{"page":{"":1}}'), 400, 'invalid_payload', 'context.page', 'empty key'],
  ['a key over the length limit', eventWith(JSON.stringify({ nested: { ['k'.repeat(MAX_KEY_LENGTH + 1)]: 1 } })), 400, 'invalid_payload', 'events.0.properties.nested', `at most ${MAX_KEY_LENGTH}`],
  ['too many keys', eventWith(JSON.stringify(wide(MAX_FREE_FORM_ENTRIES + 1))), 400, 'invalid_payload', 'events.0.properties', `at most ${MAX_FREE_FORM_ENTRIES}`],
  ['too many keys with the request context', bodyWith(`{"type":"a","context":${JSON.stringify(wide(600))}}`, `,"context":${JSON.stringify(wide(600))}`), 400, 'invalid_payload', 'events.0.context', 'request\'s context'],
  ['a __proto__ key', eventWith('{"user":{"__proto__":{"admin":true}}}'), 400, 'invalid_payload', 'events.0.properties.user', '"__proto__"'],
  ['a key with \\u0000', eventWith('{"a\\u0000b":1}'), 400, 'invalid_payload', 'events.0.properties', '\\u0000'],
  ['a number too large for JSON (1e400)', eventWith('{"n":1e400}'), 400, 'invalid_payload', 'events.0.properties.n', 'send it as a string'],
  ['a negative number too large (-1e400) in a list', bodyWith('{"type":"a","context":{"list":[1,-1e400]}}'), 400, 'invalid_payload', 'events.0.context.list.1', 'too large'],
  // Ids, types and times storage cannot take.
  ['a lone surrogate in an id', JSON.stringify({ source: { id: SOURCE }, profile: { id: 'p\ud800' }, events: [] }), 400, 'invalid_payload', 'profile.id', 'unpaired'],
  ['a control character in a type', JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'a\u0000' }] }), 400, 'invalid_payload', 'events.0.type', 'control characters'],
  ['a time past year 9999', JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'a', time: 8.64e15 }] }), 400, 'invalid_payload', 'events.0.time', '0000 to 9999'],
  // Shapes.
  ['a number as an event', bodyWith('1'), 400, 'invalid_payload', 'events.0', 'object'],
  ['a string as an event', bodyWith('"click"'), 400, 'invalid_payload', 'events.0', 'object'],
  ['null as an event', bodyWith('null'), 400, 'invalid_payload', 'events.0', 'object'],
  ['an array as an event', bodyWith('[]'), 400, 'invalid_payload', 'events.0', 'object'],
  ['an array as properties', eventWith('[1,2]'), 400, 'invalid_payload', 'events.0.properties', 'object'],
  // Objects that cannot be turned into text (their own toString or valueOf): named, never a 500.
  ['an object with its own toString as a source id', JSON.stringify({ source: { id: { toString: 1 } }, events: [] }), 400, 'invalid_payload', 'source.id', 'received an object ({"toString":1})'],
  ['an object with its own valueOf and toString as an event type', bodyWith('{"type":{"valueOf":1,"toString":"x"}}'), 400, 'invalid_payload', 'events.0.type', 'string'],
  ['an object with its own toString as queue mode', bodyWith('', ',"options":{"queue":{"toString":{}}}'), 400, 'invalid_payload', 'options.queue', 'boolean'],
  ['an array at the root', `[${bodyWith('')}]`, 400, 'invalid_payload', '(root)', 'object'],
  ['a string at the root', '"hello"', 400, 'invalid_payload', '(root)', 'object'],
  ['null at the root', 'null', 400, 'invalid_payload', '(root)', 'object'],
  // Bytes that are not JSON text.
  ['an empty body', '', 400, 'malformed_json', undefined, 'not valid JSON'],
  ['a raw null byte in a string', eventWith('{"s":"a\u0000b"}'), 400, 'malformed_json', undefined, 'not valid JSON'],
  ['a raw null byte between tokens', `${bodyWith('')}\u0000`, 400, 'malformed_json', undefined, 'not valid JSON'],
  ['trailing garbage', `${bodyWith('')}x`, 400, 'malformed_json', undefined, 'not valid JSON'],
  ['an invalid UTF-8 byte', Buffer.concat([Buffer.from(eventWith('{"s":"').slice(0, -3)), Buffer.from([0xff]), Buffer.from('"}}]}')]), 400, 'malformed_json', undefined, 'UTF-8'],
  ['an overlong UTF-8 encoding', Buffer.concat([Buffer.from('{"source":{"id":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"},"events":[]}')]), 400, 'malformed_json', undefined, 'UTF-8'],
  ['a surrogate encoded in UTF-8 bytes', Buffer.concat([Buffer.from('{"source":{"id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"},"events":[]}')]), 400, 'malformed_json', undefined, 'UTF-8'],
  ['UTF-16 text', Buffer.from(`\ufeff${bodyWith('')}`, 'utf16le'), 400, 'malformed_json', undefined, 'UTF-8'],
  ['two byte order marks', `\ufeff\ufeff${bodyWith('')}`, 400, 'malformed_json', undefined, 'not valid JSON'],
];

/** One bad event next to a good one: the good one is accepted (200) and the bad one named in `rejected`. */
const PARTIAL: Array<[name: string, body: string, code: string, path: string]> = [
  ['a batch with an event over the size limit', JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'a' }, { type: 'big', properties: { blob: 'x'.repeat(20_000) } }] }), 'event_too_large', 'events.1'],
  ['a batch with null as an event', bodyWith('{"type":"a"},null'), 'invalid_payload', 'events.1'],
  ['a batch with a type over 128 characters', bodyWith(`{"type":"a"},{"type":"${'t'.repeat(129)}"}`), 'invalid_payload', 'events.1.type'],
  ['a batch with an id over 128 characters', bodyWith(`{"type":"a"},{"id":"${'i'.repeat(129)}","type":"b"}`), 'invalid_payload', 'events.1.id'],
  ['a batch with a __proto__ key', bodyWith('{"type":"a"},{"type":"b","properties":{"__proto__":{"admin":true}}}'), 'invalid_payload', 'events.1.properties'],
  ['a batch with a time past year 9999', bodyWith('{"type":"a"},{"type":"b","time":8.64e15}'), 'invalid_payload', 'events.1.time'],
  ['a batch with an event nested past the depth limit', bodyWith(`{"type":"a"},{"type":"b","properties":${objects(MAX_JSON_DEPTH)}}`), 'too_deep', `events.1.properties${'.a'.repeat(MAX_JSON_DEPTH - 3)}`],
];

// Both HTTP servers the edge can run on (INFLOW_HTTP_SERVER) give the same answers.
describe.each(['uws', 'node'])('hostile /track bodies (HTTP server %s)', (httpServer) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv('embedded'), ...LIMITS, INFLOW_SERVE_DEMO: 'false', INFLOW_HTTP_SERVER: httpServer });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  it.each(REFUSALS)('refuses %s with a 4xx that names it', async (_, body, status, code, path, message) => {
    const response = typeof body === 'string' ? await app.track(body) : await postBytes(app, body);
    expect(response.status).toBe(status);
    const error = await errorOf(response);
    expect(error.code).toBe(code);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
  });

  it.each(PARTIAL)('accepts the valid events of %s and names the refused one', async (_, body, code, path) => {
    const response = await app.track(body);
    expect(response.status).toBe(200);
    const accepted = (await response.json()) as TrackAccepted;
    expect(accepted.events).toHaveLength(1);
    expect(accepted.rejected?.map((r) => [r.index, r.code, r.path])).toEqual([[1, code, path]]);
  });

  it('lists every refused event in the 400 when no event is valid', async () => {
    const response = await app.track(bodyWith('null,{"type":""},{"type":"a","properties":{"":1}}'));
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'invalid_payload', path: 'events.0' });
    expect(body.rejected?.map((r) => r.path)).toEqual(['events.0', 'events.1.type', 'events.2.properties']);
  });

  it('answers 413 to a body over the limit, declared or streamed, and goes on serving', async () => {
    const big = JSON.stringify({ source: { id: SOURCE }, events: [{ type: 'a', properties: { blob: 'x'.repeat(MAX_BODY_BYTES) } }] });
    const declared = await app.track(big);
    expect(declared.status).toBe(413);
    expect(await errorOf(declared)).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining(`${MAX_BODY_BYTES} bytes`) });
    const head = 'POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const streamed = await rawRequest(app, head, `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`);
    expect(streamed).toMatch(/^HTTP\/1\.1 413/);
    expect(streamed).toContain('"code":"payload_too_large"');
    expect((await app.track({ source: { id: SOURCE }, events: [] })).status).toBe(200);
  });

  it.each(['declared', 'chunked'])('lets a client that sends its whole body over the limit (%s) before reading get the 413, not a reset', async (framing) => {
    const url = new URL(app.publicUrl);
    const payload = Buffer.alloc(15_000_000, 'x');
    // Chunked: a chunk of 1 MB at a time, as an upload streams.
    const chunks = framing === 'chunked' ? Array.from({ length: 15 }, (_, i) => Buffer.concat([Buffer.from('f4240\r\n'), payload.subarray(i * 1_000_000, (i + 1) * 1_000_000), Buffer.from('\r\n')])) : [payload];
    const body = framing === 'chunked' ? Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')]) : payload;
    const framingHeader = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`;
    const outcome = await new Promise<{ answer: string; writeError: string | undefined }>((resolve) => {
      const socket = connect(Number(url.port), url.hostname);
      let answer = '';
      let writeError: string | undefined;
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', (error: NodeJS.ErrnoException) => (writeError ??= error.code ?? error.message));
      socket.on('close', () => resolve({ answer, writeError }));
      // As urllib and wget do: the head and every byte of the body, then the answer is read.
      socket.write(`POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framingHeader}\r\n\r\n`);
      socket.write(body, (error) => {
        if (error) writeError ??= (error as NodeJS.ErrnoException).code ?? error.message;
      });
    });
    expect(outcome.writeError).toBeUndefined();
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 413/);
    expect(outcome.answer).toContain('"code":"payload_too_large"');
    expect((await app.track({ source: { id: SOURCE }, events: [] })).status).toBe(200);
  });

  // Java's HttpClient spells it so; uWS sends `100 Continue` for `100-continue` alone, and the client then sends the body.
  it('answers a body declared over the limit with Expect: 100-Continue at once, before it is sent', async () => {
    const head = `POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-Continue\r\nContent-Length: ${MAX_BODY_BYTES * 4}\r\n\r\n`;
    // Nothing of the body follows: the client waits for a 100 or an answer (the body's deadline is 7 s).
    const answer = await Promise.race([rawRequest(app, head, ''), new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 3 s'), 3_000))]);
    expect(answer).toMatch(/413 Payload Too Large/);
    expect(answer).toContain('"code":"payload_too_large"');
  });

  it.each(['xchunked', 'gzip, chunked', 'chunked, identity', 'identity'])('answers 501 to Transfer-Encoding %j, which it cannot frame, and goes on serving', async (coding) => {
    const body = JSON.stringify({ source: { id: SOURCE }, events: [] });
    const head = `POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: ${coding}\r\n\r\n`;
    const answer = await rawRequest(app, head, `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    // Node's parser refuses a coding after chunked itself, with a 400 naming the header.
    const [status, code] = httpServer === 'node' && coding === 'chunked, identity' ? ['400', 'malformed_request'] : ['501', 'unsupported_transfer_encoding'];
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
    expect(answer).toContain(`"code":"${code}"`);
    if (code === 'malformed_request') expect(answer).toContain('Transfer-Encoding');
    const chunked = await rawRequest(app, head.replace(coding, 'Chunked\r\nConnection: close'), `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    expect(chunked).toMatch(/^HTTP\/1\.1 200/);
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    // Raw deflate under the name deflate (some clients send it so): inflated raw, not refused.
    ['deflate', deflateRawSync],
    ['br', brotliCompressSync],
  ] as const)('accepts a %s body (%o), read as if sent plain', async (encoding, compress) => {
    const name = `${encoding}-${compress.name}`;
    const body = JSON.stringify({ source: { id: SOURCE }, profile: { id: `zip-${name}` }, events: [{ id: `zipped-${name}`, type: 'zipped', properties: { text: 'x'.repeat(2_000) } }] });
    const response = await postEncoded(app, encoding, compress(Buffer.from(body)));
    expect(response.status).toBe(200);
    expect(((await response.json()) as TrackAccepted).events).toEqual([`zipped-${name}`]);
    const stored = await app.api(`/profiles/zip-${name}/events`);
    expect(JSON.stringify(await stored.json())).toContain(`zipped-${name}`);
  });

  it('refuses compressed bodies it cannot read with a 4xx that names the problem', async () => {
    const body = Buffer.from(bodyWith('{"type":"a"}'));
    const unknown = await postEncoded(app, 'zstd', body);
    expect(unknown.status).toBe(415);
    expect(await errorOf(unknown)).toMatchObject({ code: 'unsupported_encoding', message: expect.stringContaining('zstd') });
    const broken = await postEncoded(app, 'gzip', body);
    expect(broken.status).toBe(400);
    expect(await errorOf(broken)).toMatchObject({ code: 'malformed_encoding', message: expect.stringContaining('not valid gzip') });
    // Checked once decoded as a plain body is: nesting, here.
    const deep = await postEncoded(app, 'gzip', gzipSync(bodyDeep(100)));
    expect([deep.status, (await errorOf(deep)).code]).toEqual([400, 'too_deep']);
  });

  it('stops a decompression bomb at the body limit (413) and goes on serving', async () => {
    // 64 MB of one byte compress to about 64 KB: under the limit as sent, 500 times over it decoded.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    const response = await postEncoded(app, 'gzip', bomb);
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining(`${MAX_BODY_BYTES} bytes`) });
    expect((await app.track({ source: { id: SOURCE }, events: [] })).status).toBe(200);
  });

  it('answers a 20,000-deep body quickly, without parsing it', async () => {
    const started = performance.now();
    expect((await app.track(bodyDeep(20_000))).status).toBe(400);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(app.logs.filter((line) => line.includes('handler failed'))).toEqual([]);
  });
});

/** Valid edge cases: accepted (queued, 201) and then stored, as sent, by the workers. */
const ACCEPTED: Array<[name: string, properties: Record<string, unknown>]> = [
  ['dotted keys', { 'a.b': 1, a: { b: 2 }, '.': 3, '..': 4, 'a..b': 5, '.a': 6, 'b.': 7, ' ': 8 }],
  ['unicode keys and values', { 'ключ': 'значение', '鍵': '値', 'مفتاح': 'قيمة', '😀': '👩‍👩‍👧‍👦 e\u0301 \u2028 \ufeff' }],
  ['lone surrogates and escaped control characters in values', { lone: ['\ud800', 'x\udc00', '\udbff\ud800'], '\ud83d': 'half an emoji as a key', nul: 'a\u0000b', bell: '\u0007' }],
  ['prototype words as keys', { constructor: { prototype: { polluted: true } }, prototype: 1, hasOwnProperty: 'x', toString: 2 }],
  ['numbers at the edges of JSON', { big: 1e308, tiny: 5e-324, negativeZero: 0, huge: 2 ** 80 }],
  ['brackets and quotes inside strings', { s: '['.repeat(5_000) + '{"a":"\\"', t: '}]'.repeat(100) }],
  ['the longest key', { ['€'.repeat(MAX_KEY_LENGTH)]: 'v' }],
  ['the most entries', wide(MAX_FREE_FORM_ENTRIES)],
  ['the deepest nesting', JSON.parse(objects(MAX_JSON_DEPTH - 3)) as Record<string, unknown>],
];

describe.each(ENGINES)('edge cases accepted and stored on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), ...LIMITS, INFLOW_SERVE_DEMO: 'false' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  const storedProperties = async (id: string): Promise<unknown> =>
    (await app.eventually<{ properties: unknown }>(`/events/${id}`, () => true)).properties;

  it.each(ACCEPTED)('accepts %s', async (name, properties) => {
    const id = `${engine}-${name.replace(/\W+/g, '-')}`;
    const response = await app.track({ source: { id: SOURCE }, profile: { id: `${id}-p` }, session: { id: `${id}-s` }, events: [{ id, type: 'identify', properties }], options: { queue: true } });
    expect(response.status).toBe(201);
    expect(((await response.json()) as TrackAccepted).events).toEqual([id]);
    expect(await storedProperties(id)).toEqual(properties);
  });

  it('keeps at most 1,024 characters of a User-Agent and drops a Referer over 2,048, which every event would carry', async () => {
    const agent = `Mozilla/5.0 ${'U'.repeat(30_000)}`;
    const ids = Array.from({ length: MAX_EVENTS }, (_, i) => `${engine}-amplified-${i}`);
    const body = { source: { id: SOURCE }, profile: { id: `${engine}-amplified-p` }, session: { id: `${engine}-amplified-s` }, events: ids.map((id) => ({ id, type: 't' })), options: { queue: true } };
    const response = await app.track(body, { 'user-agent': agent, referer: `https://r.example/${'p'.repeat(30_000)}` });
    expect(response.status).toBe(201);
    for (const id of [ids[0] as string, ids.at(-1) as string]) {
      const stored = await app.eventually<{ userAgent?: string; page?: unknown }>(`/events/${id}`, () => true);
      expect(stored.userAgent).toBe(agent.slice(0, 1_024));
      expect(stored.page).toBeUndefined();
    }
    const session = await app.eventually<{ userAgent?: string }>(`/sessions/${engine}-amplified-s`, () => true);
    expect(session.userAgent).toBe(agent.slice(0, 1_024));
  });

  it('queues the other events of a batch with one event nested past the limit, and the workers store them', async () => {
    const good = { id: `${engine}-beside-deep`, type: 'a', properties: JSON.parse(objects(MAX_JSON_DEPTH - 3)) as Record<string, unknown> };
    const deep = { id: `${engine}-too-deep`, type: 'b', properties: JSON.parse(objects(MAX_JSON_DEPTH - 2)) as Record<string, unknown> };
    const response = await app.track({ source: { id: SOURCE }, profile: { id: `${engine}-deep-p` }, events: [deep, good], options: { queue: true } });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as TrackAccepted;
    expect(answer.events).toEqual([good.id]);
    expect(answer.rejected?.map((r) => [r.index, r.id, r.code])).toEqual([[0, deep.id, 'too_deep']]);
    expect(await storedProperties(good.id)).toEqual(good.properties);
    const profile = await app.eventually<{ eventCount: number }>(`/profiles/${engine}-deep-p`, (p) => p.eventCount === 1);
    expect(profile.eventCount).toBe(1);
    expect((await app.api(`/events/${deep.id}`)).status).toBe(404);
    const letters = (await (await app.api('/dead-letters')).json()) as { deadLetters: unknown[] };
    expect(JSON.stringify(letters.deadLetters)).not.toContain(deep.id);
  });

  it('accepts a body with a byte order mark, pretty-printed, and an event of exactly the size limit', async () => {
    const exact = eventOfBytes(MAX_EVENT_BYTES, `${engine}-exact`);
    const body = `\ufeff${JSON.stringify({ source: { id: SOURCE }, events: [{ id: `${engine}-bom`, type: 'a', properties: { ok: true } }, exact], options: { queue: true } }, null, 2)}`;
    const response = await app.track(body, { 'content-type': 'text/plain;charset=UTF-8' });
    expect(response.status).toBe(201);
    expect(await storedProperties(`${engine}-bom`)).toEqual({ ok: true });
    expect(await storedProperties(`${engine}-exact`)).toEqual(exact['properties']);
  });
});
