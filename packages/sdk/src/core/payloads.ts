import type { QueuedEvent } from './types.js';
import type { WirePayload } from './wire.js';

/** Two queued events can travel in one request when their keys are equal: same profile, session, page context and mode. */
export const requestKey = (item: QueuedEvent): string => JSON.stringify([item.profileId, item.sessionId, !item.processed, item.context]);

/**
 * One request for events that share profile, session, context and mode: the page context once, at
 * the top. Built at each attempt: `sentAt` is when this one leaves (a retry's own time), by which
 * the edge corrects the events' times for this device's clock.
 */
export function payloadOf(group: QueuedEvent[], sourceId: string, sentAt: Date = new Date()): WirePayload {
  const first = group[0] as QueuedEvent;
  return {
    source: { id: sourceId },
    profile: { id: first.profileId },
    session: { id: first.sessionId },
    // JSON leaves out an undefined context.
    context: Object.keys(first.context)[0] ? first.context : undefined,
    events: group.map((item) => item.event),
    options: { queue: !first.processed },
    sentAt: sentAt.toISOString(),
  };
}
