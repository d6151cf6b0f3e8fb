import type { TraceEntry } from '@inflow/core';

/**
 * Entries found under an event, each naming that event only (the TraceStore port's byEvent): the
 * request's other events are in its request's trace.
 */
export function narrowedTo(eventId: string, entries: readonly TraceEntry[]): TraceEntry[] {
  return entries.map((entry) => (entry.eventIds?.length === 1 ? entry : { ...entry, eventIds: [eventId] }));
}
