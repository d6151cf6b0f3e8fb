import type { TraceEntry } from '@inflow/core';
import type { RuleRun } from './rule-runner.js';

/** What each kind of action does when its rule runs. */
const RESULTS: Record<string, string> = { delay: 'scheduled', emit: 'queued', dispatch: 'queued' };

/**
 * One 'rule' trace entry per event that rules matched, naming each rule that ran with its
 * actions: one entry per rule would cost, with 50 rules, fifty entries per event.
 */
export function ruleEntries(profileId: string, runs: readonly RuleRun[], requestOf?: ReadonlyMap<string, string>): TraceEntry[] {
  const byEvent = new Map<string, Array<{ rule: string; actions: Array<{ type: string; result: string }> }>>();
  for (const run of runs) {
    if (!run.matched) continue;
    const ran = { rule: run.rule, actions: run.actions.map((type) => ({ type, result: RESULTS[type] ?? 'applied' })) };
    const rules = byEvent.get(run.event);
    if (rules) rules.push(ran);
    else byEvent.set(run.event, [ran]);
  }
  const at = Date.now();
  return [...byEvent].map(([event, rules]) => {
    const requestId = requestOf?.get(event);
    return { at, stage: 'rule', role: 'workflow', ...(requestId === undefined ? {} : { requestId }), profileId, eventIds: [event], detail: { rules } };
  });
}
