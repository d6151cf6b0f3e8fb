import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPayloadContent,
  checkTrackPayload,
  jsonNestingDepth,
  MAX_EVENT_TIME,
  MAX_FREE_FORM_ENTRIES,
  MAX_ID_LENGTH,
  MAX_JSON_DEPTH,
  MAX_KEY_LENGTH,
  MIN_EVENT_TIME,
  type JsonObject,
  type NormalizedPayload,
} from '@inflow/protocol';
import { collect } from '../../collector/collect.js';
import { createLogger, isNormalized } from '@inflow/core';
import { envelopeFor } from '../../test-support/fixtures.js';
import { requiredEnv } from '../../test-support/services.js';
import { ElasticStore } from './elastic-store.js';

/** The edge's default per-event limit: every accepted event below fits in it. */
const MAX_EVENT_BYTES = 65_536;
const prefix = `hd${Date.now().toString(36)}`;

/** `levels` nested objects, each with a key made by `key(level)`, a string at the bottom. */
function nested(levels: number, key: (level: number) => string = (level) => `l${level}`, leaf: unknown = 'bottom'): JsonObject {
  let value: JsonObject = { [key(levels)]: leaf };
  for (let level = levels - 1; level >= 1; level--) value = { [key(level)]: value };
  return value;
}

const wide = (count: number, prefix: string): JsonObject => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));

/** Objects and arrays alternating, `levels` in all: Elasticsearch counts only the objects. */
function alternating(levels: number): JsonObject {
  let value: unknown = 'bottom';
  for (let level = levels; level >= 2; level--) value = level % 2 === 0 ? [value, level] : { [`o${level}`]: value };
  return { a: value };
}

const longKey = (level: number): string => `${level}`.padEnd(MAX_KEY_LENGTH, '€'); // 3 UTF-8 bytes a character: the longest keyed term
const dotted: JsonObject = { 'a.b': 1, a: { b: 2, 'c.d': { e: 3 } }, '.': 4, '..': 5, 'a..b': 6, '.a': 7, 'b.': 8, ' ': 9, 'with space': 10 };
const unicode: JsonObject = {
  'ключ': 'значение',
  '鍵': '値 ✓',
  'مفتاح': 'قيمة',
  '😀': '👩‍👩‍👧‍👦 e\u0301 \u2028 \u2029 \ufeff \uffff',
  lone: ['\ud800', 'x\udc00', '\udbff\ud800'],
  '\ud83d': 'a key that is half an emoji',
  controls: 'nul \u0000 bell \u0007 tab \t newline \n escape \u001b del \u007f',
  quotes: '"\\\'/',
};
const scalars: JsonObject = {
  big: 1e308,
  tiny: 5e-324,
  negativeZero: -0,
  huge: 2 ** 80,
  mixed: [1, 'x', true, null, {}, [], { k: [1, { k: 2 }] }],
  empty: {},
  none: null,
  longText: 'x'.repeat(5_000),
  atIgnoreAbove: '€'.repeat(1024),
};
const prototypeWords: JsonObject = { constructor: { prototype: { polluted: true } }, prototype: 1, hasOwnProperty: 'x', toString: 2, valueOf: { a: 1 } };

/** Requests the edge accepts, each at some limit; ids make every request a profile of its own. */
const CORPUS: Array<[string, Partial<NormalizedPayload> & { events: NormalizedPayload['events'] }]> = [
  [
    'deepest nesting everywhere',
    {
      context: nested(MAX_JSON_DEPTH - 1), // payload, context: the request context starts at level 2
      properties: nested(MAX_JSON_DEPTH - 1),
      events: [
        { id: 'deep-1', type: 'page-view', properties: nested(MAX_JSON_DEPTH - 3), context: nested(MAX_JSON_DEPTH - 3, (l) => `c${l}`) },
        { id: 'deep-2', type: 'identify', properties: { traits: nested(MAX_JSON_DEPTH - 4) } },
        { id: 'deep-3', type: 'identify', properties: nested(MAX_JSON_DEPTH - 3, (l) => `t${l}`) },
        { id: 'deep-4', type: 'arrays', properties: alternating(MAX_JSON_DEPTH - 3) },
      ],
    },
  ],
  [
    'longest keys on the deepest path',
    {
      context: nested(MAX_JSON_DEPTH - 1, longKey, '€'.repeat(1024)),
      events: [{ id: 'long-1', type: 'identify', properties: nested(MAX_JSON_DEPTH - 3, longKey, '€'.repeat(1024)) }],
    },
  ],
  [
    'most entries',
    {
      context: wide(MAX_FREE_FORM_ENTRIES / 2, 'c'),
      events: [
        { id: 'wide-1', type: 'identify', context: wide(MAX_FREE_FORM_ENTRIES / 2, 'e') },
        { id: 'wide-2', type: 'identify', properties: { traits: wide(MAX_FREE_FORM_ENTRIES / 2 - 1, 't') } },
        { id: 'wide-3', type: 'identify', properties: { traits: wide(MAX_FREE_FORM_ENTRIES / 2 - 1, 'u') } },
        { id: 'wide-4', type: 'list', properties: { list: Array.from({ length: MAX_FREE_FORM_ENTRIES / 2 - 1 }, (_, i) => i) } },
      ],
    },
  ],
  ['dotted keys', { context: dotted, events: [{ id: 'dot-1', type: 'identify', properties: dotted, context: { page: { url: 'https://x.test/' }, ...dotted } }] }],
  [
    'unicode, lone surrogates and control characters in free-form data',
    { context: unicode, properties: unicode, events: [{ id: 'uni-1', type: 'identify', properties: { traits: unicode, ...unicode }, context: unicode }] },
  ],
  ['numbers, mixed arrays, empty values, long text', { events: [{ id: 'num-1', type: 'identify', properties: { traits: scalars, ...scalars } }] }],
  ['keys that are prototype words', { context: prototypeWords, events: [{ id: 'proto-1', type: 'identify', properties: prototypeWords }] }],
  [
    'longest ids and types in any script, earliest and latest times',
    {
      source: { id: '源'.repeat(MAX_ID_LENGTH) },
      session: { id: '😀'.repeat(MAX_ID_LENGTH / 2) },
      events: [
        { id: '€'.repeat(MAX_ID_LENGTH), type: 'событие'.padEnd(128, '✓'), time: new Date(MIN_EVENT_TIME).toISOString() },
        { id: 'time-2', type: 'a', time: MAX_EVENT_TIME },
        { id: 'time-3', type: 'a', time: '9999-12-31T23:59:59.999Z' },
        { id: 'time-4', type: 'a', time: 'Tue, 01 Jan 2030 00:00:00 GMT' },
      ],
    },
  ],
  [
    'long page fields and utm values',
    {
      context: { page: { url: `https://x.test/${'p'.repeat(5_000)}?utm_source=${'s'.repeat(3_000)}&utm_medium=€`, title: 'T'.repeat(10_000), referrer: `https://r.test/${'r'.repeat(5_000)}` } },
      events: [{ id: 'page-1', type: 'page-view', context: { page: { path: `/${'q'.repeat(4_000)}` } } }],
    },
  ],
];

/** The edge's checks, in its order: depth before parsing, then the schema, then the content. */
function edgeAccepts(body: string): NormalizedPayload {
  expect(jsonNestingDepth(body, MAX_JSON_DEPTH)).toBeLessThanOrEqual(MAX_JSON_DEPTH);
  const schema = checkTrackPayload(JSON.parse(body));
  if (!schema.ok) throw new Error(`the edge would refuse it: ${schema.path} ${schema.message}`);
  const content = checkPayloadContent(schema.value, { maxEventBytes: MAX_EVENT_BYTES });
  if (!content.ok) throw new Error(`the edge would refuse it: ${content.message}`);
  if (!isNormalized(schema.value)) throw new Error('corpus payloads carry every id');
  return schema.value;
}

describe('documents built from everything the edge accepts, against a real Elasticsearch', () => {
  let store: ElasticStore;
  beforeAll(async () => {
    store = new ElasticStore({ url: requiredEnv('INFLOW_ELASTICSEARCH_URL'), indexPrefix: prefix, bulkAttempts: 3, maxBulkBytes: 1_000_000, logger: createLogger({ level: 'warn', format: 'text' }) });
    await store.init();
  });
  afterAll(async () => {
    const indices = Object.keys(await store.client.indices.get({ index: `${prefix}-*` }));
    await store.client.indices.delete({ index: indices });
    await store.close();
  });

  const bodyOf = (name: string, payload: Partial<NormalizedPayload>): string => {
    const slug = name.replace(/\W+/g, '-');
    return JSON.stringify({ source: { id: 'web' }, profile: { id: `${slug}-p` }, session: { id: `${slug}-s` }, ...payload });
  };

  it('reaches the limits: the deepest request nests exactly as deep as the edge allows', () => {
    const [name, deepest] = CORPUS[0] ?? [];
    expect(jsonNestingDepth(bodyOf(name ?? '', deepest ?? {}), 1_000)).toBe(MAX_JSON_DEPTH);
  });

  it.each(CORPUS)('indexes %s', async (name, payload) => {
    const body = bodyOf(name, payload);
    const accepted = edgeAccepts(body);
    const batch = collect(envelopeFor(accepted, { meta: { ip: '203.0.113.7', userAgent: 'UA/'.padEnd(3_000, 'x'), referer: 'https://ref.test/' } }), { profile: null, session: null });

    const result = await store.write({ profiles: [batch.profile], sessions: [batch.session], events: batch.events });

    expect(result.profiles).toMatchObject({ saved: 1, failed: [] });
    expect(result.sessions).toMatchObject({ saved: 1, failed: [] });
    expect(result.events).toMatchObject({ saved: accepted.events.length, failed: [] });
    await store.client.indices.refresh({ index: `${prefix}-events-*` });
    const stored = await store.getEvent(batch.events[0]?.id ?? '');
    expect(stored?.type).toBe(accepted.events[0]?.type);
  });

  it('keeps free-form data as sent: dotted keys stay keys, unicode and lone surrogates unchanged, prototype words stay data', async () => {
    await store.client.indices.refresh({ index: `${prefix}-*` });
    expect((await store.getEvent('uni-1'))?.properties).toEqual({ traits: unicode, ...unicode });
    expect((await store.getEvent('dot-1'))?.properties).toEqual(dotted);
    expect((await store.getEvent('proto-1'))?.properties).toEqual(prototypeWords);
    expect((await store.getProfile('keys-that-are-prototype-words-p'))?.traits).toEqual(prototypeWords);
    expect(Object.getPrototypeOf((await store.getEvent('proto-1'))?.properties)).toBe(Object.prototype);
  });

  it('would fail one level past the flattened depth limit, so the corpus above proves something', async () => {
    const tooDeep = { source: { id: 'web' }, profile: { id: 'too-deep-p' }, session: { id: 'too-deep-s' }, events: [{ id: 'too-deep-1', type: 'a', properties: nested(21) }] };
    expect(jsonNestingDepth(JSON.stringify(tooDeep), MAX_JSON_DEPTH)).toBeGreaterThan(MAX_JSON_DEPTH); // the edge refuses it
    const batch = collect(envelopeFor(tooDeep), { profile: null, session: null });
    const result = await store.write({ profiles: [], sessions: [], events: batch.events });
    expect(result.events.failed).toHaveLength(1);
    expect(result.events.failed[0]).toMatchObject({ id: 'too-deep-1', permanent: true });
    expect(result.events.failed[0]?.reason).toContain('failed to parse field [properties] of type [flattened]');
  });
});
