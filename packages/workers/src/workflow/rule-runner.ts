import { createHash } from 'node:crypto';
import type { JsonObject } from '@inflow/protocol';
import { evaluateCondition } from '../conditions/condition.js';
import type { Subject } from '../conditions/field-path.js';
import { compileMapping, isMappingProblem, renderMapping } from '../dispatch/mapping.js';
import type { ProfileRecord } from '../records/records.js';
import { MAX_EMIT_DEPTH, type CompiledRule, type RuleAction } from './rule.js';
import { emitDepth } from './rule-directory.js';

/** Rule runs a profile remembers: a rule never runs twice for one event while its mark is kept. */
export const RECENT_RULE_RUNS_KEPT = 1024;

/** What running the rules on one event asks of the world besides the profile. */
export type Effect =
  | { kind: 'emit'; eventId: string; type: string; properties: JsonObject; depth: number; rule: string; cause: Subject }
  | { kind: 'dispatch'; destination: string; subject: Subject }
  | { kind: 'schedule'; delayed: DelayedRun };

/** The rest of a rule run, after a `delay`: kept in the schedule until due. */
export interface DelayedRun {
  /** Derived from rule, event and the delay's action index: scheduling it again keeps one. */
  id: string;
  dueAt: number;
  rule: string;
  /** The index of the `delay` action: the actions after it run when due. */
  delayAt: number;
  subject: Subject;
}

export interface RuleRun {
  rule: string;
  event: string;
  matched: boolean;
  actions: string[];
}

export interface RulesOutcome {
  /** The profile after the rules (with the marks of every rule considered); the same object when none was. */
  profile: ProfileRecord;
  effects: Effect[];
  runs: RuleRun[];
}

/** The mark of one rule considered for one event. */
export function ruleRunMark(ruleId: string, eventId: string): string {
  return createHash('sha256').update(`${ruleId}\u0000${eventId}`).digest('base64url').slice(0, 16);
}

/** The id of the event a rule's action emits: the same on every run, so a second run cannot add one. */
export function emittedEventId(ruleId: string, eventId: string, actionIndex: number): string {
  return `wf-${createHash('sha256').update(`${ruleId}\u0000${eventId}\u0000${actionIndex}`).digest('base64url').slice(0, 22)}`;
}

/**
 * Runs the rules an event triggers, in order, on the profile as the earlier rules left it.
 * Pure: the profile changes come back with a mark per rule considered (matched or not), and
 * the side effects (emitted events, deliveries) as values for the caller to carry out before
 * it stores the profile. A rule whose mark the profile holds is skipped: it already ran.
 */
export function runRules(subject: Subject, profile: ProfileRecord, rules: readonly CompiledRule[], now = Date.now()): RulesOutcome {
  let current = profile;
  const effects: Effect[] = [];
  const runs: RuleRun[] = [];
  const done = new Set(profile.recentRuleRuns ?? []);
  for (const rule of rules) {
    const mark = ruleRunMark(rule.record.id, subject.event.id);
    if (done.has(mark)) continue;
    const seen = { ...subject, profile: current };
    const matched = !rule.condition || evaluateCondition(rule.condition, seen);
    const actions: string[] = [];
    if (matched) current = runActions(rule, 0, seen, current, effects, actions, now);
    current = withMark(current, mark);
    done.add(mark);
    runs.push({ rule: rule.record.id, event: subject.event.id, matched, actions });
  }
  return { profile: current, effects, runs };
}

/** The mark of a delayed run once it ran (or was cancelled). */
export function resumeMark(delayedId: string): string {
  return `r:${delayedId}`;
}

/**
 * The actions after a `delay`, now that it is due: unless the profile already ran them (its
 * mark), or the delay's cancel condition holds on the profile as it is now. The mark is added
 * either way, with the profile changes, in one write.
 */
export function resumeRun(delayed: DelayedRun, rule: CompiledRule, profile: ProfileRecord, now = Date.now()): RulesOutcome & { cancelled: boolean } {
  const mark = resumeMark(delayed.id);
  if ((profile.recentRuleRuns ?? []).includes(mark)) return { profile, effects: [], runs: [], cancelled: false };
  const subject = { ...delayed.subject, profile };
  const cancelIf = rule.cancelIf.get(delayed.delayAt);
  const cancelled = cancelIf !== undefined && evaluateCondition(cancelIf, subject);
  const effects: Effect[] = [];
  const actions: string[] = [];
  const after = cancelled ? profile : runActions(rule, delayed.delayAt + 1, subject, profile, effects, actions, now);
  return { profile: withMark(after, mark), effects, runs: [{ rule: rule.record.id, event: subject.event.id, matched: !cancelled, actions }], cancelled };
}

/** Actions from `from` on, until the end or a `delay` (which schedules the rest). */
function runActions(rule: CompiledRule, from: number, subject: Subject, profile: ProfileRecord, effects: Effect[], ran: string[], now: number): ProfileRecord {
  let current = profile;
  const actions = rule.record.actions;
  for (let index = from; index < actions.length; index++) {
    const action = actions[index] as RuleAction;
    ran.push(action.type);
    if (action.type === 'delay') {
      const id = `d-${createHash('sha256').update(`${rule.record.id}\u0000${subject.event.id}\u0000${index}`).digest('base64url').slice(0, 22)}`;
      effects.push({ kind: 'schedule', delayed: { id, dueAt: now + action.ms, rule: rule.record.id, delayAt: index, subject: { ...subject, profile: current } } });
      return current;
    }
    current = applyAction(action, index, rule, { ...subject, profile: current }, current, effects);
  }
  return current;
}

function withMark(profile: ProfileRecord, mark: string): ProfileRecord {
  return { ...profile, recentRuleRuns: [...(profile.recentRuleRuns ?? []), mark].slice(-RECENT_RULE_RUNS_KEPT) };
}

function applyAction(action: RuleAction, index: number, rule: CompiledRule, subject: Subject, profile: ProfileRecord, effects: Effect[]): ProfileRecord {
  switch (action.type) {
    case 'set-trait':
      return withTraits(profile, { ...profile.traits, [action.trait]: render(action.value, subject) });
    case 'unset-trait': {
      const traits = { ...profile.traits };
      delete traits[action.trait];
      return withTraits(profile, traits);
    }
    case 'increment': {
      const before = profile.traits[action.trait];
      const base = typeof before === 'number' && Number.isFinite(before) ? before : 0;
      return withTraits(profile, { ...profile.traits, [action.trait]: base + (action.by as number) });
    }
    case 'add-segment':
      return (profile.segments ?? []).includes(action.segment) ? profile : { ...profile, segments: [...(profile.segments ?? []), action.segment] };
    case 'remove-segment':
      return { ...profile, segments: (profile.segments ?? []).filter((segment) => segment !== action.segment) };
    case 'emit': {
      const depth = emitDepth(subject) + 1;
      if (depth > MAX_EMIT_DEPTH) return profile;
      const properties = action.event.properties === undefined ? {} : render(action.event.properties, subject);
      effects.push({
        kind: 'emit',
        eventId: emittedEventId(rule.record.id, subject.event.id, index),
        type: action.event.type,
        properties: isObject(properties) ? properties : { value: properties },
        depth,
        rule: rule.record.id,
        cause: subject,
      });
      return profile;
    }
    case 'dispatch':
      effects.push({ kind: 'dispatch', destination: action.destination, subject: { ...subject, profile } });
      return profile;
    case 'delay':
      return profile; // handled by runActions: it stops there
  }
}

function withTraits(profile: ProfileRecord, traits: JsonObject): ProfileRecord {
  return { ...profile, traits };
}

function render(template: unknown, subject: Subject): unknown {
  const compiled = compileMapping(template);
  return isMappingProblem(compiled) ? null : renderMapping(compiled, subject);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
