import type { Payload, QueuedEvent } from './types.js';

/**
 * Groups queued events into /track payloads: one per profile, session and mode, each at most
 * `maxEvents` events. Page context travels on each event, so one payload can span pages.
 */
export function toPayloads(events: QueuedEvent[], sourceId: string, maxEvents: number): Array<{ payload: Payload; events: QueuedEvent[] }> {
  const groups = new Map<string, QueuedEvent[]>();
  for (const item of events) {
    const key = `${item.profileId}\n${item.sessionId}\n${item.processed ? 1 : 0}`;
    const group = groups.get(key);
    if (group && group.length < maxEvents) group.push(item);
    else groups.set(group ? `${key}\n${groups.size}` : key, [item]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as QueuedEvent;
    return {
      events: group,
      payload: {
        source: { id: sourceId },
        profile: { id: first.profileId },
        session: { id: first.sessionId },
        events: group.map((item) => ({ ...item.event, context: item.context })),
        options: { queue: !first.processed },
      },
    };
  });
}
