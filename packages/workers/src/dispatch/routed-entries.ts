import type { TraceEntry } from '@inflow/core';
import type { Subject } from '../conditions/field-path.js';

type RoutedEntry = TraceEntry & { eventIds: string[] };

/**
 * 'routed' trace entries: one per request and set of targets, naming the events of that request
 * which went to those targets (destinations, or the rules whose trigger took them).
 */
export function routedEntries(routes: ReadonlyArray<{ subject: Subject; targets: readonly string[] }>, kind: 'destinations' | 'rules'): TraceEntry[] {
  // Per request, its entries with their targets (a request's events nearly always share one set).
  const byRequest = new Map<string, Array<{ targets: readonly string[]; entry: RoutedEntry }>>();
  const entries: RoutedEntry[] = [];
  const at = Date.now();
  for (const { subject, targets } of routes) {
    if (targets.length === 0) continue;
    const { requestId, id } = subject.event;
    let known = byRequest.get(requestId);
    if (!known) byRequest.set(requestId, (known = []));
    const same = known.find((candidate) => sameTargets(candidate.targets, targets));
    if (same) {
      same.entry.eventIds.push(id);
      continue;
    }
    const entry: RoutedEntry = { at, stage: 'routed', role: 'collector', requestId, profileId: subject.profile.id, eventIds: [id], detail: { [kind]: targets } };
    known.push({ targets, entry });
    entries.push(entry);
  }
  return entries;
}

function sameTargets(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
