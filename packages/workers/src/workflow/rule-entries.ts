import type { TraceEntry } from '@inflow/core';
import type { RuleRun } from './rule-runner.js';

/** What each kind of action does when its rule runs. */
const RESULTS: Record<string, string> = { delay: 'scheduled', emit: 'queued', dispatch: 'queued' };

/** A 'rule' trace entry for each rule that matched an event and ran its actions. */
export function ruleEntries(profileId: string, runs: readonly RuleRun[], requestOf?: ReadonlyMap<string, string>): TraceEntry[] {
  const at = Date.now();
  const entries: TraceEntry[] = [];
  for (const run of runs) {
    if (!run.matched) continue;
    const requestId = requestOf?.get(run.event);
    entries.push({
      at,
      stage: 'rule',
      role: 'workflow',
      ...(requestId === undefined ? {} : { requestId }),
      profileId,
      eventIds: [run.event],
      detail: { rule: run.rule, actions: run.actions.map((type) => ({ type, result: RESULTS[type] ?? 'applied' })) },
    });
  }
  return entries;
}
