import { describe, expect, it } from 'vitest';
import { subjectFor } from '../test-support/subjects.js';
import { checkRule, compileRule, type RuleRecord } from './rule.js';
import { emittedEventId, resumeRun, rulesRanFor, runRules, type DelayedRun } from './rule-runner.js';

function rule(input: Record<string, unknown>): ReturnType<typeof compileRule> {
  const checked = checkRule(input);
  if (!checked.ok) throw new Error(`${checked.problem.path}: ${checked.problem.message}`);
  const record: RuleRecord = { ...checked.spec, version: 1, createdAt: '', updatedAt: '' };
  return compileRule(record);
}

const buyer = rule({
  id: 'buyer',
  trigger: { eventTypes: ['order-completed'] },
  actions: [
    { type: 'increment', trait: 'purchases' },
    { type: 'increment', trait: 'spent', by: 2.5 },
    { type: 'set-trait', trait: 'lastOrder', value: '{{event.properties.orderId}}' },
    { type: 'add-segment', segment: 'buyer' },
  ],
});
const vip = rule({
  id: 'vip',
  trigger: { eventTypes: ['order-completed'] },
  condition: { field: 'profile.traits.purchases', op: 'gte', value: 2 },
  actions: [
    { type: 'emit', event: { type: 'vip-reached', properties: { purchases: '{{profile.traits.purchases}}' } } },
    { type: 'dispatch', destination: 'crm' },
    { type: 'unset-trait', trait: 'trial' },
    { type: 'remove-segment', segment: 'prospect' },
  ],
});

describe('runRules', () => {
  const order = (id: string) => subjectFor({ event: { id, type: 'order-completed', properties: { orderId: `o-${id}` } }, profile: { traits: { trial: true }, segments: ['prospect'] } });

  it('applies actions in order, later rules seeing what earlier ones did, and marks the event as run', () => {
    const first = runRules(order('e1'), order('e1').profile, [buyer, vip]);
    expect(first.profile.traits).toEqual({ trial: true, purchases: 1, spent: 2.5, lastOrder: 'o-e1' });
    expect(first.profile.segments).toEqual(['prospect', 'buyer']);
    expect(first.runs).toEqual([
      { rule: 'buyer', event: 'e1', matched: true, actions: ['increment', 'increment', 'set-trait', 'add-segment'] },
      { rule: 'vip', event: 'e1', matched: false, actions: [] },
    ]);
    expect(first.effects).toEqual([]);
    expect([rulesRanFor(first.profile, 'e1'), rulesRanFor(first.profile, 'e2'), rulesRanFor(order('e1').profile, 'e1')]).toEqual([true, false, false]);

    const second = runRules(order('e2'), first.profile, [buyer, vip]);
    expect(second.profile.traits).toEqual({ purchases: 2, spent: 5, lastOrder: 'o-e2' });
    expect(second.profile.segments).toEqual(['buyer']);
    expect(second.effects.map((effect) => effect.kind)).toEqual(['emit', 'dispatch']);
    expect(second.effects[0]).toMatchObject({ kind: 'emit', eventId: emittedEventId('vip', 'e2', 0), type: 'vip-reached', properties: { purchases: 2 }, depth: 1 });
  });

  it('runs a rule at most once per event: a second run changes nothing and emits nothing', () => {
    const once = runRules(order('e1'), order('e1').profile, [buyer, vip]);
    const again = runRules(order('e1'), once.profile, [buyer, vip]);
    expect(again.profile).toBe(once.profile);
    expect(again.effects).toEqual([]);
    expect(again.runs).toEqual([]);
  });

  it('emits the same event id on every run', () => {
    expect(emittedEventId('vip', 'e2', 0)).toBe(emittedEventId('vip', 'e2', 0));
    expect(emittedEventId('vip', 'e2', 0)).not.toBe(emittedEventId('vip', 'e2', 1));
  });
});

describe('delayed actions', () => {
  const nudge = rule({
    id: 'nudge',
    trigger: { eventTypes: ['cart-abandoned'] },
    actions: [
      { type: 'add-segment', segment: 'abandoner' },
      { type: 'delay', ms: 60_000, cancelIf: { field: 'profile.traits.ordered', op: 'eq', value: true } },
      { type: 'emit', event: { type: 'nudge-sent' } },
      { type: 'add-segment', segment: 'nudged' },
    ],
  });
  const abandoned = subjectFor({ event: { id: 'e9', type: 'cart-abandoned' } });

  function scheduled(): DelayedRun {
    const outcome = runRules(abandoned, abandoned.profile, [nudge], 1_000);
    expect(outcome.profile.segments).toEqual(['abandoner']);
    const [effect] = outcome.effects;
    if (effect?.kind !== 'schedule') throw new Error('expected a scheduled run');
    expect(effect.delayed).toMatchObject({ dueAt: 61_000, rule: 'nudge', delayAt: 1 });
    return effect.delayed;
  }

  it('stops at the delay, then runs the rest once when due', () => {
    const delayed = scheduled();
    expect(scheduled().id).toBe(delayed.id);
    // Another profile's event with the same id waits under an id of its own (the schedule keeps one item per id).
    const other = subjectFor({ event: { id: 'e9', type: 'cart-abandoned' }, profile: { ...abandoned.profile, id: 'someone-else' } });
    const [otherEffect] = runRules(other, other.profile, [nudge], 1_000).effects;
    expect(otherEffect?.kind === 'schedule' && otherEffect.delayed.id).not.toBe(delayed.id);
    const profile = { ...abandoned.profile, segments: ['abandoner'] };
    const due = resumeRun(delayed, nudge, profile);
    expect(due.cancelled).toBe(false);
    expect(due.profile.segments).toEqual(['abandoner', 'nudged']);
    expect(due.effects.map((effect) => effect.kind)).toEqual(['emit']);
    const again = resumeRun(delayed, nudge, due.profile);
    expect(again.profile).toBe(due.profile);
    expect(again.effects).toEqual([]);
  });

  it('runs nothing after the delay when its cancel condition holds then', () => {
    const delayed = scheduled();
    const ordered = { ...abandoned.profile, traits: { ordered: true } };
    const due = resumeRun(delayed, nudge, ordered);
    expect(due.cancelled).toBe(true);
    expect(due.effects).toEqual([]);
    expect(due.profile.segments).toBeUndefined();
    expect(resumeRun(delayed, nudge, due.profile).profile).toBe(due.profile);
  });
});

describe('checkRule', () => {
  const base = { id: 'r', trigger: { eventTypes: ['a'] }, actions: [{ type: 'add-segment', segment: 's' }] };
  it.each([
    [{ ...base, actions: [{ type: 'explode' }] }, 'actions.0.type', 'must be one of'],
    [{ ...base, actions: [{ type: 'increment', trait: 'a.b' }] }, 'actions.0.trait', 'without dots'],
    [{ ...base, actions: [{ type: 'increment', trait: 'n', by: 'x' }] }, 'actions.0.by', 'finite number'],
    [{ ...base, actions: [{ type: 'set-trait', trait: 'n', value: '{{event.nope}}' }] }, 'actions.0.value', 'no field "nope"'],
    [{ ...base, actions: [{ type: 'emit', event: { type: 'a' } }] }, 'actions.0.event.type', 'set maxDepth'],
    [{ ...base, trigger: {}, actions: [{ type: 'emit', event: { type: 'b' } }] }, 'actions.0.event.type', 'set maxDepth'],
    [{ ...base, condition: { field: 'event.type', op: 'like', value: 'a' } }, 'condition.op', 'must be one of'],
    [{ ...base, actions: [] }, 'actions', ''],
    [{ ...base, colour: 'red' }, 'colour', 'unknown field'],
    [{ ...base, actions: [{ type: 'delay', ms: 0 }] }, 'actions.0.ms', ''],
    [{ ...base, actions: [{ type: 'delay', ms: 10, cancelIf: { field: 'profile.nope', op: 'exists' } }] }, 'actions.0.cancelIf.field', 'no field "nope"'],
  ])('refuses %j at %s', (input, path, message) => {
    const checked = checkRule(input);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.problem.path).toBe(path);
      expect(checked.problem.message).toContain(message);
    }
  });

  it('accepts a rule that emits its own trigger when it bounds the chain', () => {
    expect(checkRule({ ...base, maxDepth: 2, actions: [{ type: 'emit', event: { type: 'a' } }] }).ok).toBe(true);
  });
});
