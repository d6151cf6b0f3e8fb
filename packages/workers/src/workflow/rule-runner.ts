import { createHash } from 'node:crypto';
import type { JsonObject } from '@inflow/protocol';
import { remember, unseenEvents } from '../collector/event-marks.js';
import { evaluateCondition } from '../conditions/condition.js';
import type { Subject } from '../conditions/field-path.js';
import { compileMapping, isMappingProblem, renderMapping } from '../dispatch/mapping.js';
import type { ProfileRecord } from '@inflow/core';
import { MAX_EMIT_DEPTH, type CompiledRule, type RuleAction } from './rule.js';
import { emitDepth } from './rule-directory.js';

/** Rule runs a profile remembers (events whose rules ran, delayed runs done): none runs twice while remembered. */
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
  /** The types of the actions it did, in order (shared: never changed). */
  actions: readonly string[];
}

export interface RulesOutcome {
  /** The profile after the rules, with the mark of the run; the same object when nothing ran. */
  profile: ProfileRecord;
  effects: Effect[];
  runs: RuleRun[];
}

/** The key the run of an event's rules is remembered by (one mark for all of them: they are stored together). */
const eventRunKey = (eventId: string): string => `rules\u0000${eventId}`;
const resumeKey = (delayedId: string): string => `resume\u0000${delayedId}`;

/** The id of the event a rule's action emits: the same on every run, so a second run cannot add one. */
export function emittedEventId(ruleId: string, eventId: string, actionIndex: number): string {
  return `wf-${digest(`${ruleId}\u0000${eventId}\u0000${actionIndex}`)}`;
}

/** Whether the profile already ran the rules of this event. */
export function rulesRanFor(profile: ProfileRecord, eventId: string): boolean {
  return unseenEvents([eventRunKey(eventId)], profile.recentRuleRuns).length === 0;
}

/**
 * Runs the rules an event triggers, in order, each on the profile as the ones before left it.
 * Pure: the profile changes come back with one mark for the event's run, and the side effects
 * (emitted events, deliveries, delayed runs) as values for the caller to carry out before it
 * stores the profile. A profile holding the mark already ran them: nothing happens again.
 */
export function runRules(subject: Subject, profile: ProfileRecord, rules: readonly CompiledRule[], now = Date.now()): RulesOutcome {
  const fresh = rules.length === 0 ? [] : unseenEvents([eventRunKey(subject.event.id)], profile.recentRuleRuns);
  if (fresh.length === 0) return { profile, effects: [], runs: [] };
  const work = workingCopy(profile);
  const effects: Effect[] = [];
  const runs: RuleRun[] = [];
  // Every rule sees the profile as the rules before it left it: `work`, changed in place.
  const seen = { ...subject, profile: work };
  for (const rule of rules) {
    const matched = !rule.condition || evaluateCondition(rule.condition, seen);
    const actions = matched ? ranActions(rule, 0, runActions(rule, 0, seen, work, effects, now)) : NONE;
    runs.push({ rule: rule.record.id, event: subject.event.id, matched, actions });
  }
  work.recentRuleRuns = remember(profile.recentRuleRuns, fresh, RECENT_RULE_RUNS_KEPT);
  return { profile: work, effects, runs };
}

/**
 * The actions after a `delay`, now that it is due: unless the profile already ran them (its
 * mark), or the delay's cancel condition holds on the profile as it is now. The mark is added
 * either way, with the profile changes, in one write.
 */
export function resumeRun(delayed: DelayedRun, rule: CompiledRule, profile: ProfileRecord, now = Date.now()): RulesOutcome & { cancelled: boolean } {
  const fresh = unseenEvents([resumeKey(delayed.id)], profile.recentRuleRuns);
  if (fresh.length === 0) return { profile, effects: [], runs: [], cancelled: false };
  const work = workingCopy(profile);
  const subject = { ...delayed.subject, profile: work };
  const cancelIf = rule.cancelIf.get(delayed.delayAt);
  const cancelled = cancelIf !== undefined && evaluateCondition(cancelIf, subject);
  const effects: Effect[] = [];
  const from = delayed.delayAt + 1;
  const actions = cancelled ? NONE : ranActions(rule, from, runActions(rule, from, subject, work, effects, now));
  work.recentRuleRuns = remember(profile.recentRuleRuns, fresh, RECENT_RULE_RUNS_KEPT);
  return { profile: work, effects, runs: [{ rule: rule.record.id, event: subject.event.id, matched: !cancelled, actions }], cancelled };
}

/** A copy whose traits and segments the actions may change in place. */
function workingCopy(profile: ProfileRecord): ProfileRecord {
  return { ...profile, traits: { ...profile.traits }, ...(profile.segments ? { segments: [...profile.segments] } : {}) };
}

const NONE: readonly string[] = Object.freeze([]);

/** The types of the actions a run did, `from` up to `end`: the rule's own array when it did them all. */
function ranActions(rule: CompiledRule, from: number, end: number): readonly string[] {
  return from === 0 && end === rule.actionTypes.length ? rule.actionTypes : rule.actionTypes.slice(from, end);
}

/**
 * Actions from `from` on, applied to `work`, until the end or a `delay` (which schedules the
 * rest); answers the index after the last action done.
 */
function runActions(rule: CompiledRule, from: number, subject: Subject, work: ProfileRecord, effects: Effect[], now: number): number {
  const actions = rule.record.actions;
  for (let index = from; index < actions.length; index++) {
    const action = actions[index] as RuleAction;
    if (action.type === 'delay') {
      // The profile in it: two profiles may use one event id, and the schedule keeps one item per id.
      const id = `d-${digest(`${rule.record.id}\u0000${subject.profile.id}\u0000${subject.event.id}\u0000${index}`)}`;
      const snapshot = { ...subject, profile: { ...work, traits: { ...work.traits } } };
      effects.push({ kind: 'schedule', delayed: { id, dueAt: now + action.ms, rule: rule.record.id, delayAt: index, subject: snapshot } });
      return index + 1;
    }
    applyAction(action, index, rule, subject, work, effects);
  }
  return actions.length;
}

function applyAction(action: Exclude<RuleAction, { type: 'delay' }>, index: number, rule: CompiledRule, subject: Subject, work: ProfileRecord, effects: Effect[]): void {
  switch (action.type) {
    case 'set-trait':
      work.traits[action.trait] = render(action.value, subject);
      return;
    case 'unset-trait':
      delete work.traits[action.trait];
      return;
    case 'increment': {
      const before = work.traits[action.trait];
      work.traits[action.trait] = (typeof before === 'number' && Number.isFinite(before) ? before : 0) + (action.by as number);
      return;
    }
    case 'add-segment':
      if (!(work.segments ?? []).includes(action.segment)) work.segments = [...(work.segments ?? []), action.segment];
      return;
    case 'remove-segment':
      if (work.segments) work.segments = work.segments.filter((segment) => segment !== action.segment);
      return;
    case 'emit': {
      const depth = emitDepth(subject) + 1;
      if (depth > MAX_EMIT_DEPTH) return;
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
      return;
    }
    case 'dispatch':
      effects.push({ kind: 'dispatch', destination: action.destination, subject: { ...subject, profile: { ...work, traits: { ...work.traits } } } });
      return;
  }
}

function render(template: unknown, subject: Subject): unknown {
  if (typeof template !== 'string' && (typeof template !== 'object' || template === null)) return template;
  const compiled = compileMapping(template);
  return isMappingProblem(compiled) ? null : renderMapping(compiled, subject);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
