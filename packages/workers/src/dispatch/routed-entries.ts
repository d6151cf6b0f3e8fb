import type { TraceEntry } from '@inflow/core';
import type { Subject } from '../conditions/field-path.js';

/**
 * 'routed' trace entries: one per request and set of targets, naming the events of that request
 * which went to those targets (destinations, or the rules whose trigger took them).
 */
export function routedEntries(routes: ReadonlyArray<{ subject: Subject; targets: readonly string[] }>, kind: 'destinations' | 'rules'): TraceEntry[] {
  const byKey = new Map<string, TraceEntry & { eventIds: string[] }>();
  const at = Date.now();
  for (const { subject, targets } of routes) {
    if (targets.length === 0) continue;
    const key = `${subject.event.requestId}\u0000${targets.join('\u0000')}`;
    const entry = byKey.get(key);
    if (entry) entry.eventIds.push(subject.event.id);
    else {
      byKey.set(key, {
        at,
        stage: 'routed',
        role: 'collector',
        requestId: subject.event.requestId,
        profileId: subject.profile.id,
        eventIds: [subject.event.id],
        detail: { [kind]: targets },
      });
    }
  }
  return [...byKey.values()];
}
