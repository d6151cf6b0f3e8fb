import { derivedSessionId } from '@inflow/core';
import type { TrackEvent } from '@inflow/protocol';
import type { MappedMessage } from './map-message.js';

/** Consecutive events of one profile and session: one request on the queue. */
export interface ProfileGroup {
  profileId: string;
  sessionId: string;
  events: TrackEvent[];
  /** Index in the request of the message behind each event, to name it in an error. */
  indexes: number[];
  userAgent?: string;
  ip?: string;
}

/** A mapped message with its index in the request. */
export interface IndexedMessage {
  index: number;
  message: MappedMessage;
}

/**
 * Splits a batch into one group per profile and session, in the order the messages came (a
 * profile's groups keep their order), each with at most `maxEvents` events.
 */
export function groupByProfile(sourceId: string, messages: readonly IndexedMessage[], maxEvents: number): ProfileGroup[] {
  const groups: ProfileGroup[] = [];
  const open = new Map<string, ProfileGroup>();
  for (const { index, message } of messages) {
    const sessionId = derivedSessionId(sourceId, message.profileId, message.time);
    const key = `${message.profileId}\n${sessionId}`;
    let group = open.get(key);
    if (!group || group.events.length >= maxEvents) {
      group = { profileId: message.profileId, sessionId, events: [], indexes: [] };
      open.set(key, group);
      groups.push(group);
    }
    group.events.push(message.event);
    group.indexes.push(index);
    if (group.userAgent === undefined && message.userAgent !== undefined) group.userAgent = message.userAgent;
    if (group.ip === undefined && message.ip !== undefined) group.ip = message.ip;
  }
  return groups;
}
