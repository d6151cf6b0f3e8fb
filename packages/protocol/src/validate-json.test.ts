import { number, object, string, array, validate } from 'superstruct';
import { describe, expect, it } from 'vitest';
import { UNPRINTABLE_PROBLEM, validateJson } from './validate-json.js';

const Shape = object({ name: string(), tags: array(string()), count: number() });

describe('validateJson', () => {
  it('answers what superstruct answers for ordinary values', () => {
    const good = { name: 'a', tags: ['x'], count: 1 };
    expect(validateJson(good, Shape)).toEqual(validate(good, Shape));
    const [error] = validateJson({ name: 5, tags: [], count: 1 }, Shape);
    expect(error?.path).toEqual(['name']);
    expect(error?.failures()[0]?.message).toBe('Expected a string, but received: 5');
  });

  it('turns what superstruct throws on an object with its own toString or valueOf into a failure at its path', () => {
    const odd = JSON.parse('{"toString": 1, "valueOf": 1}') as object;
    // superstruct alone throws (a 500 at the HTTP layer).
    expect(() => validate({ name: 'a', tags: ['x', odd], count: 1 }, Shape)).toThrow(TypeError);
    const [error, value] = validateJson({ name: 'a', tags: ['x', odd], count: 1 }, Shape);
    expect(value).toBeUndefined();
    expect(error?.path).toEqual(['tags', 1]);
    expect(error?.failures()[0]?.message).toBe(UNPRINTABLE_PROBLEM);
    expect(error?.message).toBe(`At path: tags.1 -- ${UNPRINTABLE_PROBLEM}`);
    expect(error?.failures()).toHaveLength(1);
    expect(validateJson({ name: JSON.parse('{"toString": {}}'), tags: [], count: 1 }, Shape)[0]?.path).toEqual(['name']);
  });
});
