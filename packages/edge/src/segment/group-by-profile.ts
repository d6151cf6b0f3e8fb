import { derivedSessionId } from '@inflow/core';
import type { TrackEvent } from '@inflow/protocol';
import type { MappedMessage } from './map-message.js';

/**
 * Consecutive events of one profile that share a session, the end user's browser and address
 * and a sentAt: one request on the queue, whose `userAgent` and `ip` stand for the HTTP request's.
 */
export interface ProfileGroup {
  profileId: string;
  sessionId: string;
  events: TrackEvent[];
  /** Index in the request of the message behind each event, to name it in an error. */
  indexes: number[];
  /** Where each event's traits came from (MappedMessage.traitsFrom), to name them in an error. */
  traitsFrom: Array<MappedMessage['traitsFrom']>;
  userAgent?: string;
  ip?: string;
  /** The request's sentAt: its events' times are corrected by it. */
  sentAt?: string | number;
}

/** A mapped message with its index in the request. */
export interface IndexedMessage {
  index: number;
  message: MappedMessage;
}

/**
 * Splits a batch into requests, in the order the messages came. A message joins its profile's
 * latest group when it has the same session, `context.userAgent`, `context.ip` (a message
 * naming none is stored with the HTTP request's) and sentAt (a message's own, else the batch's:
 * nearly always the batch's) and the group has fewer than `maxEvents` events; otherwise it
 * starts the profile's next group. So a profile's events keep their order
 * across its groups (other profiles' messages in between do not cut a group), and each event is
 * stored with its own message's browser and address.
 */
export function groupByProfile(sourceId: string, messages: readonly IndexedMessage[], maxEvents: number): ProfileGroup[] {
  const groups: ProfileGroup[] = [];
  const latest = new Map<string, ProfileGroup>();
  for (const { index, message } of messages) {
    const sessionId = derivedSessionId(sourceId, message.profileId, message.windowTime);
    let group = latest.get(message.profileId);
    if (!group || group.events.length >= maxEvents || group.sessionId !== sessionId || group.userAgent !== message.userAgent || group.ip !== message.ip || group.sentAt !== message.sentAt) {
      group = { profileId: message.profileId, sessionId, events: [], indexes: [], traitsFrom: [] };
      if (message.userAgent !== undefined) group.userAgent = message.userAgent;
      if (message.ip !== undefined) group.ip = message.ip;
      if (message.sentAt !== undefined) group.sentAt = message.sentAt;
      latest.set(message.profileId, group);
      groups.push(group);
    }
    group.events.push(message.event);
    group.indexes.push(index);
    group.traitsFrom.push(message.traitsFrom);
  }
  return groups;
}
