import type { TraceEntry } from '@inflow/core';
import type { RuleRun } from './rule-runner.js';

/** What each kind of action does when its rule runs. */
const RESULTS: Record<string, string> = { delay: 'scheduled', emit: 'queued', dispatch: 'queued' };

interface RanRule {
  readonly rule: string;
  readonly actions: ReadonlyArray<{ readonly type: string; readonly result: string }>;
}

/**
 * What a run did, as the trace shows it: one object per rule while its actions are the same
 * (a run that did all of them names the rule's own array), shared by every entry that names it.
 */
const ranRules = new WeakMap<readonly string[], RanRule>();

function ranRule(run: RuleRun): RanRule {
  const known = ranRules.get(run.actions);
  if (known?.rule === run.rule) return known;
  const ran: RanRule = Object.freeze({ rule: run.rule, actions: Object.freeze(run.actions.map((type) => Object.freeze({ type, result: RESULTS[type] ?? 'applied' }))) });
  ranRules.set(run.actions, ran);
  return ran;
}

/**
 * One 'rule' trace entry per event that rules matched, naming each rule that ran with its
 * actions: one entry per rule would cost, with 50 rules, fifty entries per event.
 */
export function ruleEntries(profileId: string, runs: readonly RuleRun[], requestOf?: ReadonlyMap<string, string>): TraceEntry[] {
  const byEvent = new Map<string, RanRule[]>();
  for (const run of runs) {
    if (!run.matched) continue;
    const ran = ranRule(run);
    const rules = byEvent.get(run.event);
    if (rules) rules.push(ran);
    else byEvent.set(run.event, [ran]);
  }
  const at = Date.now();
  return [...byEvent].map(([event, rules]) => {
    const requestId = requestOf?.get(event);
    return { at, stage: 'rule', role: 'workflow', ...(requestId === undefined ? {} : { requestId }), profileId, eventIds: [event], detail: sharedDetail(rules) };
  });
}

/** The detail made last: the same rules doing the same actions (the usual case) share one frozen object, which a trace store may serialise once. */
let lastDetail: { readonly rules: readonly RanRule[] } | undefined;

function sharedDetail(rules: RanRule[]): { readonly rules: readonly RanRule[] } {
  const last = lastDetail?.rules;
  if (last && last.length === rules.length && last.every((ran, i) => ran === rules[i])) return lastDetail as { readonly rules: readonly RanRule[] };
  lastDetail = Object.freeze({ rules: Object.freeze(rules) });
  return lastDetail;
}
