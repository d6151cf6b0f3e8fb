import { describe, expect, it } from 'vitest';
import { MAX_FREE_FORM_ENTRIES, MAX_KEY_LENGTH } from './content-limits.js';
import { jsonStringBytes } from './json-size.js';
import { checkPayloadContent } from './payload-content.js';
import type { TrackEvent, TrackPayload } from './types.js';

const source = { id: 'web' };
const payloadOf = (events: TrackEvent[], rest: Partial<TrackPayload> = {}): TrackPayload => ({ source, events, ...rest });
const stringifiedBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
const wide = (count: number, prefix = 'k'): Record<string, number> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));
/** What JSON.parse makes of a body with this key: an own property, even for __proto__. */
const withKey = (key: string, value: unknown = 1): Record<string, unknown> => JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)}}`) as Record<string, unknown>;

describe('checkPayloadContent', () => {
  it('accepts typical payloads, dotted and unicode keys, constructor and prototype as plain keys', () => {
    const events: TrackEvent[] = [
      { id: 'e1', type: 'page-view', properties: { 'a.b': 1, 'a.b.': 2, '.': 3, ' ': 4, 'ключ': 'значение', '😀': ['ok', null, true], constructor: 'x', prototype: { a: 1 } } },
      { type: 'identify', properties: { traits: { email: 'a@b.test', plan: { tier: 'pro' } } }, context: { page: { url: 'https://x.test/' } } },
    ];
    expect(checkPayloadContent(payloadOf(events, { context: { ip: '1.2.3.4' }, properties: {} }), { maxEventBytes: 65_536 })).toEqual({ ok: true });
  });

  it.each([
    ['an empty key', { properties: withKey('') }, 'events.0.properties', 'has an empty key'],
    ['a key over the length limit', { properties: { deep: withKey('k'.repeat(MAX_KEY_LENGTH + 1)) } }, 'events.0.properties.deep', `at most ${MAX_KEY_LENGTH}`],
    ['a __proto__ key', { context: { page: withKey('__proto__', { polluted: true }) } }, 'events.0.context.page', '"__proto__"'],
    ['a key with \\u0000', { properties: { list: [withKey('a\u0000b')] } }, 'events.0.properties.list.0', '\\u0000'],
    ['an infinite number (1e400)', { properties: { n: [1, JSON.parse('1e400') as number] } }, 'events.0.properties.n.1', 'too large'],
    ['an infinite number outside free-form fields', { extra: JSON.parse('-1e400') as number }, 'events.0.extra', 'too large'],
  ])('refuses %s in an event, naming the path', (_, fields, path, message) => {
    const check = checkPayloadContent(payloadOf([{ type: 'ok' }, { type: 'a', ...fields } as TrackEvent].slice(1)));
    expect(check).toMatchObject({ ok: false, code: 'invalid_payload', path });
    if (!check.ok) expect(check.message).toContain(message);
  });

  it('checks keys in the request context and properties, and only inside free-form fields', () => {
    expect(checkPayloadContent(payloadOf([], { context: withKey('') }))).toMatchObject({ ok: false, path: 'context' });
    expect(checkPayloadContent(payloadOf([], { properties: { a: withKey('x'.repeat(300)) } }))).toMatchObject({ ok: false, path: 'properties.a' });
    // Unknown event keys are carried, never stored: only their numbers and size count.
    expect(checkPayloadContent(payloadOf([{ type: 'a', options: withKey('') } as TrackEvent]))).toEqual({ ok: true });
  });

  it('accepts a key of exactly the limit and entries up to the budget', () => {
    expect(checkPayloadContent(payloadOf([{ type: 'a', properties: withKey('k'.repeat(MAX_KEY_LENGTH)) }]))).toEqual({ ok: true });
    const half = MAX_FREE_FORM_ENTRIES / 2;
    expect(checkPayloadContent(payloadOf([{ type: 'a', properties: wide(half), context: wide(half) }]))).toEqual({ ok: true });
  });

  it.each([
    ['one wide object', payloadOf([{ type: 'a', properties: wide(MAX_FREE_FORM_ENTRIES + 1) }]), 'events.0.properties'],
    ['many empty objects (keys count, not only leaves)', payloadOf([{ type: 'a', properties: { o: Object.fromEntries(Array.from({ length: MAX_FREE_FORM_ENTRIES }, (_, i) => [`k${i}`, {}])) } }]), 'events.0.properties.o'],
    ['a long array', payloadOf([{ type: 'a', context: { list: Array.from({ length: MAX_FREE_FORM_ENTRIES }, () => 0) } }]), 'events.0.context.list'],
    ['properties and context together', payloadOf([{ type: 'a', properties: wide(600), context: wide(401) }]), /^events\.0\.(properties|context)$/],
    ['the request context merged into each event', payloadOf([{ type: 'a' }, { type: 'b', properties: wide(501) }], { context: wide(500) }), 'events.1.properties'],
    ['the request context alone', payloadOf([], { context: { a: wide(MAX_FREE_FORM_ENTRIES) } }), 'context.a'],
  ])('refuses too many free-form entries: %s', (_, payload, path) => {
    const check = checkPayloadContent(payload);
    expect(check).toMatchObject({ ok: false, code: 'invalid_payload', path });
    if (!check.ok) expect(check.message).toContain(`at most ${MAX_FREE_FORM_ENTRIES}`);
  });

  it('does not count the request properties against events: they are not stored with them', () => {
    expect(checkPayloadContent(payloadOf([{ type: 'a', properties: wide(900) }], { properties: wide(900) }))).toEqual({ ok: true });
  });

  it('measures each event exactly as JSON.stringify writes it, and names the one over the limit', () => {
    const tiny = {} as TrackEvent; // smaller than any limit below
    for (const event of SIZE_CORPUS) {
      const bytes = stringifiedBytes(event);
      expect(checkPayloadContent(payloadOf([tiny, event]), { maxEventBytes: bytes })).toEqual({ ok: true });
      const check = checkPayloadContent(payloadOf([tiny, event]), { maxEventBytes: bytes - 1 });
      expect(check, JSON.stringify(event)).toMatchObject({ ok: false, code: 'event_too_large', path: 'events.1' });
      if (!check.ok) expect(check.message).toContain(`event 1 is larger than ${bytes - 1} bytes`);
    }
  });

  it("counts the request's context in each event's size: it is merged into every event when stored", () => {
    const context = { blob: 'c'.repeat(40_000) };
    const contextBytes = stringifiedBytes(context);
    const event = { type: 'a', properties: { blob: 'p'.repeat(30_000) } } as TrackEvent;
    const limit = 65_536;
    expect(checkPayloadContent(payloadOf([event]), { maxEventBytes: limit })).toEqual({ ok: true });
    const merged = checkPayloadContent(payloadOf([{ type: 'tiny' }, event], { context }), { maxEventBytes: limit });
    expect(merged).toMatchObject({ ok: false, code: 'event_too_large', path: 'events.1' });
    if (!merged.ok) expect(merged.message).toContain(`with the request's context of ${contextBytes} bytes`);
    // A context past the limit on its own leaves no event within it: the request's problem.
    const huge = checkPayloadContent(payloadOf([{ type: 'tiny' }], { context: { blob: 'c'.repeat(900_000) } }), { maxEventBytes: limit });
    expect(huge).toMatchObject({ ok: false, code: 'event_too_large', path: 'context' });
  });

  it('does not measure when no limit is given', () => {
    expect(checkPayloadContent(payloadOf([{ type: 'a', properties: { blob: 'x'.repeat(100_000) } }]))).toEqual({ ok: true });
  });

  it('walks deep values without recursion', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50_000; i++) deep = { d: deep };
    // Shapes the edge never parses (its depth scan refuses them first), walked here without overflowing the stack.
    const event = { type: 'a', extra: deep } as TrackEvent;
    expect(checkPayloadContent(payloadOf([event]), { maxEventBytes: 1_000_000 })).toEqual({ ok: true });
    expect(checkPayloadContent(payloadOf([event]), { maxEventBytes: 100_000 })).toMatchObject({ ok: false, code: 'event_too_large' });
    const check = checkPayloadContent(payloadOf([{ type: 'a', properties: { x: [deep] } }]));
    expect(check).toMatchObject({ ok: false, code: 'invalid_payload' });
    if (!check.ok) expect(check.path).toMatch(/^events\.0\.properties\.x\.0(\.d)+$/);
  });
});

describe('jsonStringBytes', () => {
  it('agrees with JSON.stringify on random strings', () => {
    const pool = ['a', ' ', '"', '\\', '/', '\u0000', '\u0001', '\b', '\t', '\n', '\f', '\r', '\u001f', '\u007f', 'é', '\u07ff', '\u0800', '€', '\uffff', '😀', '\ud800', '\udc00', '\ud83d', '\ude00', '\u2028'];
    let seed = 42;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let n = 0; n < 2_000; n++) {
      let text = '';
      const length = next() % 12;
      for (let i = 0; i < length; i++) text += pool[next() % pool.length];
      expect(jsonStringBytes(text), JSON.stringify(text)).toBe(stringifiedBytes(text));
    }
  });
});

const SIZE_CORPUS: TrackEvent[] = [
  { type: 'a' },
  { id: 'e-1', type: 'a', time: 1_763_892_000_000, options: { async: true } },
  { type: 'a', properties: {}, context: { list: [] } },
  { type: 'a', properties: { s: 'plain ascii', q: 'quote " and \\ backslash', c: 'tab\tnewline\ncontrol\u0001\u001f', slash: '/' } },
  { type: 'a', properties: { two: 'éü', three: '€\u2028', four: '😀', lone: '\ud800 and \udc00', reversed: '\udc00\ud800', half: '\ud83d' } },
  { type: 'a', properties: { n: [0, -0, 1.5, -2e-7, 1e21, 123456789012345680000, 5e-324, 1.7976931348623157e308, Number.MAX_SAFE_INTEGER] } },
  { type: 'a', properties: { t: true, f: false, z: null, nested: [[[]], [{}], { a: [null] }] } },
  { type: 'a', properties: { 'é"\\\n': 'key with escapes', '😀': 1 }, context: { page: { url: 'https://shop.test/ü?q="x"' } } },
  { type: 'a', unknown: { deep: [1, 'two', { three: 3 }] } } as TrackEvent,
];
