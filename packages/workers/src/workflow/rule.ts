import { array, boolean, defaulted, integer, literal, object, optional, refine, size, string, union, unknown, type Infer, type Struct } from 'superstruct';
import { isSafeName, validateJson } from '@inflow/protocol';
import { compileCondition, isConditionProblem, type CompiledCondition } from '../conditions/condition.js';
import { compileMapping, isMappingProblem } from '../dispatch/mapping.js';
import { structProblem } from '@inflow/core';

/**
 * A rule as operators write it: which events (trigger, condition) and what to do, in order.
 * Profile actions (traits, counters, segments) are applied together with a mark of the rule
 * run, so a rule runs at most once per (rule, event); emitted events get ids derived from the
 * rule, the event and the action, so a second run cannot emit twice.
 */
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const id = refine(string(), 'id', (value) => NAME.test(value) || 'must be 1–64 of a-z, 0-9, _ and -, starting with a letter or digit');
/** A trait name: one key of profile.traits (no dots: the rule names the key itself). */
const trait = refine(size(string(), 1, 256), 'trait', (value) => (!value.includes('.') && value !== '__proto__') || 'must be one key of the traits, without dots');
const eventType = refine(size(string(), 1, 128), 'event type', (value) => isSafeName(value) || 'must not contain control characters or unpaired surrogates');

/** The longest delay a rule may ask for: 90 days. */
export const MAX_DELAY_MS = 90 * 24 * 3_600_000;

const finite = refine(unknown(), 'number', (v) => (typeof v === 'number' && Number.isFinite(v)) || 'must be a finite number');

/** Each action by its `type`: checked one by one, so a problem is named at its own field. */
const ACTIONS = {
  'set-trait': object({ type: literal('set-trait'), trait, value: unknown() }),
  'unset-trait': object({ type: literal('unset-trait'), trait }),
  increment: object({ type: literal('increment'), trait, by: defaulted(finite, 1) }),
  'add-segment': object({ type: literal('add-segment'), segment: id }),
  'remove-segment': object({ type: literal('remove-segment'), segment: id }),
  emit: object({ type: literal('emit'), event: object({ type: eventType, properties: optional(unknown()) }) }),
  dispatch: object({ type: literal('dispatch'), destination: id }),
  /** Runs the actions after it `ms` later, unless `cancelIf` (checked then, on the profile as it is then) holds. */
  delay: object({ type: literal('delay'), ms: size(integer(), 1, MAX_DELAY_MS), cancelIf: optional(unknown()) }),
} as const;
const ACTION_TYPES = Object.keys(ACTIONS) as Array<keyof typeof ACTIONS>;

const Action = union([
  ACTIONS['set-trait'],
  ACTIONS['unset-trait'],
  ACTIONS.increment,
  ACTIONS['add-segment'],
  ACTIONS['remove-segment'],
  ACTIONS.emit,
  ACTIONS.dispatch,
  ACTIONS.delay,
]);

export const RuleInput = object({
  id,
  name: defaulted(size(string(), 0, 200), ''),
  enabled: defaulted(boolean(), true),
  trigger: object({
    /** Empty: every event type. */
    eventTypes: defaulted(size(array(eventType), 0, 100), []),
    /** Empty: every source. */
    sources: defaulted(size(array(id), 0, 100), []),
  }),
  condition: optional(unknown()),
  actions: size(array(Action), 1, 50),
  /**
   * How deep a chain of emitted events this rule still runs on (0: only on events a client
   * sent). Required when the rule emits an event its own trigger takes.
   */
  maxDepth: optional(size(integer(), 0, 10)),
});

export type RuleSpec = Infer<typeof RuleInput>;
export type RuleAction = RuleSpec['actions'][number];

export interface RuleRecord extends RuleSpec {
  /** Increases on every write (compare-and-set in the definitions store). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Chains of emitted events never go deeper than this, whatever a rule says. */
export const MAX_EMIT_DEPTH = 10;
/** Depth a rule that does not trigger itself runs to. */
export const DEFAULT_MAX_DEPTH = 3;

/** Checks a rule as written; the spec with defaults, or the first problem with its path. */
export function checkRule(input: unknown): { ok: true; spec: RuleSpec } | { ok: false; problem: { path: string; message: string } } {
  const actionProblem = checkActions(input);
  if (actionProblem) return { ok: false, problem: actionProblem };
  const [error, spec] = validateJson(input, RuleInput, { coerce: true });
  if (error) return { ok: false, problem: structProblem(error) };
  if (spec.condition !== undefined) {
    const condition = compileCondition(spec.condition, 'condition');
    if (isConditionProblem(condition)) return { ok: false, problem: condition };
  }
  for (const [index, action] of spec.actions.entries()) {
    const at = `actions.${index}`;
    const template = action.type === 'set-trait' ? action.value : action.type === 'emit' ? action.event.properties : undefined;
    if (template !== undefined) {
      const mapping = compileMapping(template, action.type === 'set-trait' ? `${at}.value` : `${at}.event.properties`);
      if (isMappingProblem(mapping)) return { ok: false, problem: mapping };
    }
    if (action.type === 'delay' && action.cancelIf !== undefined) {
      const condition = compileCondition(action.cancelIf, `${at}.cancelIf`);
      if (isConditionProblem(condition)) return { ok: false, problem: condition };
    }
    if (action.type === 'emit' && triggeredBy(spec, action.event.type) && spec.maxDepth === undefined) {
      return {
        ok: false,
        problem: { path: `${at}.event.type`, message: `emits "${action.event.type}", which this rule's own trigger takes: set maxDepth (0–${MAX_EMIT_DEPTH}) to bound the chain` },
      };
    }
  }
  return { ok: true, spec };
}

/** The first action whose type is unknown or whose fields are wrong, named at its field (a union alone would not say). */
function checkActions(input: unknown): { path: string; message: string } | undefined {
  const actions = typeof input === 'object' && input !== null ? (input as { actions?: unknown }).actions : undefined;
  if (!Array.isArray(actions)) return undefined;
  for (const [index, action] of actions.entries()) {
    const type = typeof action === 'object' && action !== null ? (action as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !(ACTION_TYPES as string[]).includes(type)) {
      return { path: `actions.${index}.type`, message: `must be one of ${ACTION_TYPES.join(', ')}` };
    }
    const struct: Struct<unknown, unknown> = ACTIONS[type as keyof typeof ACTIONS] as unknown as Struct<unknown, unknown>;
    const [error] = validateJson(action, struct, { coerce: true });
    if (error) {
      const problem = structProblem(error);
      return { path: `actions.${index}.${problem.path}`, message: problem.message };
    }
  }
  return undefined;
}

function triggeredBy(spec: RuleSpec, type: string): boolean {
  return spec.trigger.eventTypes.length === 0 || spec.trigger.eventTypes.includes(type);
}

/** What running needs of a rule, compiled once per version. */
export interface CompiledRule {
  record: RuleRecord;
  eventTypes: ReadonlySet<string>;
  sources: ReadonlySet<string>;
  condition?: CompiledCondition;
  maxDepth: number;
  /** The cancel condition of each `delay` action, by action index. */
  cancelIf: ReadonlyMap<number, CompiledCondition>;
  /** The type of each action, in order (one array per rule: a run that did them all names it, no copy). */
  actionTypes: readonly string[];
}

export function compileRule(record: RuleRecord): CompiledRule {
  const condition = record.condition === undefined ? undefined : compileCondition(record.condition);
  if (condition && isConditionProblem(condition)) throw new Error(`rule ${record.id}: stored condition is invalid: ${condition.message}`);
  const cancelIf = new Map<number, CompiledCondition>();
  for (const [index, action] of record.actions.entries()) {
    if (action.type !== 'delay' || action.cancelIf === undefined) continue;
    const compiled = compileCondition(action.cancelIf);
    if (isConditionProblem(compiled)) throw new Error(`rule ${record.id}: stored cancel condition of action ${index} is invalid: ${compiled.message}`);
    cancelIf.set(index, compiled);
  }
  return {
    record,
    eventTypes: new Set(record.trigger.eventTypes),
    sources: new Set(record.trigger.sources),
    ...(condition ? { condition } : {}),
    maxDepth: Math.min(MAX_EMIT_DEPTH, record.maxDepth ?? DEFAULT_MAX_DEPTH),
    cancelIf,
    actionTypes: Object.freeze(record.actions.map((action) => action.type)),
  };
}
