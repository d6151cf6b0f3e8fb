import { describe, expect, it } from 'vitest';
import { jsonNestingDepth, valueNestingDepth } from './json-depth.js';

const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['"text"', 0],
    ['{}', 1],
    ['[]', 1],
    ['{"a":[1,{"b":[]}],"c":{}}', 4],
    ['[[[]],[[[]]]]', 4],
    [nested(16), 16],
  ])('measures %s as %i levels', (text, depth) => {
    expect(jsonNestingDepth(text, 100)).toBe(depth);
    expect(jsonNestingDepth(text, 100)).toBe(depth === 0 ? 0 : depthOf(JSON.parse(text)));
  });

  it.each([
    ['brackets in strings', '{"a":"{[{[{[","b":"]]]"}', 1],
    ['escaped quotes', '{"a":"\\"{[{[\\"","b":{}}', 2],
    ['an escaped backslash before the closing quote', '{"a":"\\\\","b":{"c":[]}}', 3],
    ['three backslashes then a quote', '{"a":"\\\\\\"[[[","b":[]}', 2],
    ['brackets in keys', '{"{[{[":{"]]":1}}', 2],
    ['unicode escapes and surrogates', '{"a":"\\u005b\\ud800😀[","b":[[]]}', 3],
  ])('skips %s', (_, text, depth) => {
    expect(jsonNestingDepth(text, 100)).toBe(depth);
    expect(depthOf(JSON.parse(text))).toBe(depth);
  });

  it('stops one level past the limit, however deep the text goes', () => {
    expect(jsonNestingDepth(nested(17), 16)).toBe(17);
    const huge = '['.repeat(20_000) + ']'.repeat(20_000);
    expect(jsonNestingDepth(huge, 16)).toBe(17);
    expect(jsonNestingDepth(huge, 100_000)).toBe(20_000);
  });

  it('returns some number for malformed text and never throws', () => {
    expect(jsonNestingDepth('{"a":"unterminated [[[[', 16)).toBe(1);
    expect(jsonNestingDepth(']]]]{', 16)).toBe(0);
    expect(jsonNestingDepth('"\\', 16)).toBe(0);
  });
});

describe('valueNestingDepth', () => {
  it.each(['1', '"text"', 'null', '{}', '[]', '{"a":[1,{"b":[]}],"c":{}}', '[[[]],[[[]]]]', '[1,[2,[3]],{"x":{"y":{"z":null}}}]', nested(16)])('measures %s as its parsed depth', (text) => {
    expect(valueNestingDepth(JSON.parse(text), 100)).toBe(depthOf(JSON.parse(text)));
  });

  it('stops one level past the limit, however deep the value goes', () => {
    expect(valueNestingDepth(JSON.parse(nested(17)), 16)).toBe(17);
    const huge: unknown = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000));
    expect(valueNestingDepth(huge, 16)).toBe(17);
    expect(valueNestingDepth(huge, 100_000)).toBe(20_000);
  });
});

/** Reference: the depth of a parsed value, recursively (test inputs are shallow). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}
