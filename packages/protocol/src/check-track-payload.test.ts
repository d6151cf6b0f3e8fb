import { describe, expect, it } from 'vitest';
import { checkTrackPayload } from './check-track-payload.js';
import { checkTrackPayloadWithSchema } from './track-schema.js';

/** Values each field is replaced with: every kind JSON has, and the edges of every rule. */
const REPLACEMENTS: unknown[] = [
  undefined, null, 0, -1, 1.5, 1e308, 8.64e15, -62_167_219_200_001, 1763892000000, true, false,
  '', 'x', 'web', 'x'.repeat(128), 'x'.repeat(129), '😀'.repeat(64), '😀'.repeat(65), 'a\u0000b', 'a\u007fb', 'a\u0085b', 'tab\there',
  '\ud800', 'x\udc00', '\udbff\udfff', '2026-11-23T10:00:00Z', '0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z',
  '+010000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', 'yesterday', '2026-11-23T10:00:00Z'.padEnd(65, ' '),
  [], [1, 2], [{}], [{ type: 'a' }], {}, { id: 'x' }, { id: '' }, { id: 7 }, { type: 'a' }, { queue: true }, { async: 'no' }, { a: { b: [] } }, { create: '2026-11-23T10:00:00Z' },
];

const VALID = {
  source: { id: 'web' },
  profile: { id: 'p-1' },
  session: { id: 's-1' },
  events: [
    { id: 'e-1', type: 'page-view', properties: { path: '/' }, time: '2026-11-23T10:00:00Z', context: { a: 1 }, options: { async: true } },
    { type: 'click', time: 1763892000000 },
  ],
  context: { page: { url: 'https://shop.test/' } },
  properties: {},
  options: { queue: true },
  sentAt: '2026-11-23T10:00:01.000Z',
};

type Json = Record<string, unknown> | unknown[];

/** Every path to a value inside `root` (object keys and array indexes), the root's own children first. */
function paths(root: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof root !== 'object' || root === null) return [];
  const keys: Array<string | number> = Array.isArray(root) ? root.map((_, i) => i) : Object.keys(root);
  return keys.flatMap((key) => [[...prefix, key], ...paths((root as Record<string | number, unknown>)[key], [...prefix, key])]);
}

/** A deep copy of `root` with the value at `path` replaced (or deleted, for undefined); unchanged when the path is gone. */
function replaced(root: Json, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(root) as Json;
  let at = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) return copy;
    at = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined && !Array.isArray(at)) delete at[last];
  else at[last] = value;
  return copy;
}

const label = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const expectSameAnswer = (value: unknown): void => {
  const compiled = checkTrackPayload(value);
  const reference = checkTrackPayloadWithSchema(value);
  expect(compiled, label(value)).toEqual(reference);
  if (compiled.ok && reference.ok) expect(compiled.value).toBe(value);
};

describe('checkTrackPayload (compiled) against the superstruct schema', () => {
  it('gives the same answer for every field of a valid payload replaced by every kind of value', () => {
    const fieldPaths = [...paths(VALID), ['device'], ['events', 2], ['events', 0, 'extra'], ['options', 'extra']];
    let compared = 0;
    for (const path of fieldPaths) {
      for (const value of REPLACEMENTS) {
        expectSameAnswer(replaced(VALID, path, value));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1_000);
  });

  it('gives the same answer when two fields are wrong at once: the first in schema order is named', () => {
    const fieldPaths = paths(VALID);
    const wrong = [undefined, null, 5, '', '\ud800', [], {}];
    for (const first of fieldPaths) {
      for (const second of fieldPaths) {
        if (first === second) continue;
        const value = replaced(replaced(VALID, first, wrong[first.length % wrong.length]) as Json, second, wrong[second.length % wrong.length]);
        expectSameAnswer(value);
      }
    }
  });

  it('gives the same answer for random JSON-like values', () => {
    let seed = 7;
    const next = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n;
    const keys = ['source', 'profile', 'session', 'events', 'context', 'properties', 'options', 'id', 'type', 'time', 'queue', 'async', 'x'];
    const random = (depth: number): unknown => {
      const kind = next(depth > 3 ? 3 : 6);
      if (kind === 0) return REPLACEMENTS[next(REPLACEMENTS.length)];
      if (kind === 1) return keys[next(keys.length)];
      if (kind === 2) return next(2) === 0 ? next(1e6) : null;
      if (kind === 3) return Array.from({ length: next(4) }, () => random(depth + 1));
      return Object.fromEntries(Array.from({ length: next(6) }, () => [keys[next(keys.length)], random(depth + 1)]));
    };
    for (let n = 0; n < 5_000; n++) {
      expectSameAnswer(random(0));
      expectSameAnswer({ ...VALID, ...(random(1) as object) });
      expectSameAnswer({ ...VALID, events: [random(2), random(2)] });
    }
  });

  it('gives the same answer for values JSON.parse never makes', () => {
    const sparse: unknown[] = [{ type: 'a' }];
    sparse[2] = { type: 'b' };
    for (const value of [undefined, Symbol('s'), () => 1, 10n, new Date(0), { source: { id: 'web' }, events: sparse }, { source: { id: 'web' }, events: [], profile: { id: Symbol('p') } }]) {
      expectSameAnswer(value);
    }
  });
});

describe('checkTrackPayload messages', () => {
  it('show a value of the wrong kind as its kind and JSON, never as JavaScript renders it ("" for [], [object Object])', () => {
    const source = { id: 'web' };
    const failure = (value: unknown): { path: string; message: string } | undefined => {
      const answer = checkTrackPayload(value);
      return answer.ok ? undefined : { path: answer.path, message: answer.message };
    };
    expect(failure([])).toEqual({ path: '(root)', message: 'must be an object, received an array ([])' });
    expect(failure({ source, events: { type: 'a' } })).toEqual({ path: 'events', message: 'must be an array, received an object ({"type":"a"})' });
    expect(failure({ source, events: [], properties: [1, 2] })).toEqual({ path: 'properties', message: 'must be an object, received an array ([1,2])' });
    expect(failure({ source, events: [{ type: 5 }] })).toEqual({ path: 'events.0.type', message: 'must be a string, received a number (5)' });
    expect(failure({ source, events: [], options: { queue: 'yes' } })).toEqual({ path: 'options.queue', message: 'must be a boolean, received a string ("yes")' });
    expect(failure({ source: null, events: [] })).toEqual({ path: 'source', message: 'must be an object, received null' });
    // A long value is cut short.
    const long = failure({ source, events: 'x'.repeat(500) });
    expect(long?.message).toBe(`must be an array, received a string ("${'x'.repeat(58)}…)`);
    // Only as much of a large value is read as is shown.
    const many = failure({ source, events: [], context: Array.from({ length: 1_000_000 }, (_, i) => i) });
    expect(many?.message).toMatch(/^must be an object, received an array \(\[0,1,2,3,[0-9,]*…\)$/);
    expect(failure({ source, events: { a: { b: ['😀'.repeat(40)] } } })?.message).toMatch(/^must be an array, received an object \(\{"a":\{"b":\["(😀)+…\)$/u);
  });
});
