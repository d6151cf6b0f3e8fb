import { describe, expect, it } from 'vitest';
import { subjectFor } from '../test-support/subjects.js';
import { compileCondition, evaluateCondition, isConditionProblem, type CompiledCondition } from './condition.js';

function compiled(input: unknown): CompiledCondition {
  const result = compileCondition(input);
  if (isConditionProblem(result)) throw new Error(`${result.path}: ${result.message}`);
  return result;
}

const subject = subjectFor({
  event: { type: 'purchase', properties: { total: 120, sku: 'SKU-42', tags: ['sale', 'new'], coupon: null } },
  profile: { traits: { plan: 'pro', email: 'jane@example.com' }, eventCount: 7 },
  session: { utm: { source: 'newsletter' } },
});
const meets = (input: unknown): boolean => evaluateCondition(compiled(input), subject);

describe('conditions', () => {
  it.each([
    [{ field: 'event.type', op: 'eq', value: 'purchase' }, true],
    [{ field: 'event.type', op: 'ne', value: 'purchase' }, false],
    [{ field: 'event.properties.total', op: 'gt', value: 100 }, true],
    [{ field: 'event.properties.total', op: 'lte', value: 100 }, false],
    [{ field: 'event.properties.total', op: 'gt', value: '100' }, false],
    [{ field: 'event.time', op: 'gte', value: '2026-11-01T00:00:00Z' }, true],
    [{ field: 'event.properties.sku', op: 'in', value: ['SKU-1', 'SKU-42'] }, true],
    [{ field: 'event.properties.tags', op: 'contains', value: 'sale' }, true],
    [{ field: 'profile.traits.email', op: 'endsWith', value: '@example.com' }, true],
    [{ field: 'profile.traits.email', op: 'startsWith', value: 'john' }, false],
    [{ field: 'event.properties.coupon', op: 'missing' }, true],
    [{ field: 'event.properties.nothing.deeper', op: 'exists' }, false],
    [{ field: 'event.properties.nothing', op: 'ne', value: 1 }, true],
    [{ field: 'session.utm.source', op: 'eq', value: 'newsletter' }, true],
    [{ all: [{ field: 'profile.eventCount', op: 'gte', value: 7 }, { not: { field: 'profile.traits.plan', op: 'eq', value: 'free' } }] }, true],
    [{ any: [{ field: 'event.type', op: 'eq', value: 'refund' }, { field: 'event.properties.total', op: 'lt', value: 10 }] }, false],
  ])('%j → %s', (input, expected) => {
    expect(meets(input)).toBe(expected);
  });

  it('does not read inherited properties', () => {
    expect(meets({ field: 'event.properties.constructor', op: 'exists' })).toBe(false);
    expect(meets({ field: 'profile.traits.toString', op: 'exists' })).toBe(false);
  });

  it.each([
    [{ field: 'event.nope', op: 'eq', value: 1 }, 'condition.field', 'event has no field "nope"'],
    [{ field: 'visitor.id', op: 'eq', value: 1 }, 'condition.field', 'must start with event., profile. or session.'],
    [{ field: 'event.type.length', op: 'eq', value: 1 }, 'condition.field', 'event.type has no fields below it'],
    [{ field: 'event.properties..x', op: 'eq', value: 1 }, 'condition.field', 'empty segment'],
    [{ field: 'event.type', op: 'like', value: 'x' }, 'condition.op', 'must be one of'],
    [{ field: 'event.type', op: 'eq' }, 'condition.value', 'needs a value'],
    [{ field: 'event.type', op: 'exists', value: 1 }, 'condition.value', 'takes no value'],
    [{ field: 'event.type', op: 'in', value: [] }, 'condition.value', 'non-empty list'],
    [{ field: 'event.type', op: 'eq', value: { a: 1 } }, 'condition.value', 'string, number, boolean or null'],
    [{ field: 'event.type', op: 'eq', value: 1, extra: true }, 'condition.extra', 'unknown field'],
    [{ all: [] }, 'condition.all', 'non-empty list'],
    [{ all: [{ field: 'event.type', op: 'eq', value: 'a' }, { any: [{ field: 'x.y', op: 'exists' }] }] }, 'condition.all.1.any.0.field', 'must start with'],
    [{ all: [{ field: 'event.type', op: 'eq', value: 'a' }], any: [] }, 'condition.any', 'unknown field'],
    ['event.type == "a"', 'condition', 'must be an object'],
  ])('refuses %j at %s', (input, path, message) => {
    const result = compileCondition(input);
    expect(isConditionProblem(result) && result).toMatchObject({ path, message: expect.stringContaining(message) });
  });

  it('bounds nesting and size', () => {
    let deep: unknown = { field: 'event.type', op: 'exists' };
    for (let i = 0; i < 20; i++) deep = { not: deep };
    expect(compileCondition(deep)).toMatchObject({ message: expect.stringContaining('deeper than 16') });
    const wide = { any: Array.from({ length: 300 }, () => ({ field: 'event.type', op: 'exists' })) };
    expect(compileCondition(wide)).toMatchObject({ message: expect.stringContaining('at most 256 parts') });
  });
});
