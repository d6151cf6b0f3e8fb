import type { JsonObject, TrackEvent } from '@inflow/protocol';
import { queuedTimes } from './event-time.js';
import { isObject, type SegmentMessage, type SegmentType } from './segment-message.js';

/** One Segment message as an Inflow event of one profile. */
export interface MappedMessage {
  profileId: string;
  /** The time its derived session's window goes by: its own time by the client's clock, else when it was received. */
  windowTime: number;
  /** The sentAt its time is corrected by (the collector corrects it); requests are cut where it changes. */
  sentAt?: string | number;
  event: TrackEvent;
  /** Where the event's `properties.traits` came from, when from the message's traits (identify, group): to name it in an error. */
  traitsFrom?: 'traits' | 'context.traits';
  /** The end user's browser and address when the client named them (context.userAgent, context.ip). */
  userAgent?: string;
  ip?: string;
}

/** What the batch around the messages adds: its context, its sentAt. */
export interface BatchFields {
  context?: JsonObject;
  sentAt?: string | number;
}

/** Event types the Segment calls become; `identify` is the type whose traits the collector merges into the profile. */
export const EVENT_TYPES: Record<Exclude<SegmentType, 'track'>, string> = {
  identify: 'identify',
  page: 'page-view',
  screen: 'screen-view',
  group: 'group',
  alias: 'alias',
};

/**
 * Maps a checked message: the profile is the `userId`, else the `anonymousId` (the other id is
 * kept in `context.segment`); `messageId` becomes the event id; page, campaign, user agent and
 * the rest of `context` stay the event's context, where the collector reads the page and UTM.
 */
export function mapMessage(message: SegmentMessage, batch: BatchFields, receivedAt: number): MappedMessage {
  const times = queuedTimes(message, batch.sentAt);
  const ids: JsonObject = {};
  if (message.userId !== undefined) ids['userId'] = message.userId;
  if (message.anonymousId !== undefined) ids['anonymousId'] = message.anonymousId;
  // The client's times as sent (the event's time is one of them; the collector corrects it for the client's clock).
  if (message.timestamp !== undefined) ids['timestamp'] = message.timestamp;
  if (message.originalTimestamp !== undefined) ids['originalTimestamp'] = message.originalTimestamp;
  const context: JsonObject = { ...batch.context, ...message.context, segment: ids };
  const event: TrackEvent = {
    type: message.type === 'track' ? (message.event as string) : EVENT_TYPES[message.type],
    properties: properties(message),
    context,
  };
  // Without a time of its own the collector stores it at the time received, as /track's.
  if (times.own !== undefined) event.time = new Date(times.own).toISOString();
  if (message.messageId !== undefined) event.id = message.messageId;
  const mapped: MappedMessage = { profileId: (message.userId ?? message.anonymousId) as string, windowTime: times.own ?? receivedAt, event };
  if (times.sentAt !== undefined) mapped.sentAt = times.sentAt;
  if (message.type === 'group' || message.type === 'identify') mapped.traitsFrom = message.traits === undefined && message.type === 'identify' && legacyTraits(message) ? 'context.traits' : 'traits';
  const userAgent = context['userAgent'];
  if (typeof userAgent === 'string' && userAgent.length > 0) mapped.userAgent = userAgent;
  const ip = context['ip'];
  if (typeof ip === 'string' && ip.length > 0) mapped.ip = ip;
  return mapped;
}

function properties(message: SegmentMessage): JsonObject {
  switch (message.type) {
    case 'track':
      return message.properties ?? {};
    case 'page':
    case 'screen':
      return withDefined({ ...message.properties }, { name: message.name, category: message.category });
    case 'identify':
      // The collector merges `properties.traits` of an identify event into the profile's traits.
      return { traits: message.traits ?? legacyTraits(message) ?? {} };
    case 'group':
      return { groupId: message.groupId as string, traits: message.traits ?? {} };
    case 'alias':
      return { previousId: message.previousId as string, userId: message.userId as string };
  }
}

/**
 * The field of the client's message an event's field (`eventPath`, inside the event) was made
 * from, to name it in an error as the client knows it: `id` is the `messageId`, `type` the
 * `event`, `time` the `timestamp`, an identify's or group's `properties.traits` its `traits`.
 */
export function messageField(eventPath: string, traitsFrom: MappedMessage['traitsFrom']): string {
  const [head, ...rest] = eventPath.split('.');
  const renamed = head === 'id' ? 'messageId' : head === 'type' ? 'event' : head === 'time' ? 'timestamp' : undefined;
  if (renamed !== undefined) return [renamed, ...rest].join('.');
  if (head === 'properties' && rest[0] === 'traits' && traitsFrom !== undefined) return [traitsFrom, ...rest.slice(1)].join('.');
  return eventPath;
}

/** Older clients put identify traits in context.traits only. */
function legacyTraits(message: SegmentMessage): JsonObject | undefined {
  const traits = message.context?.['traits'];
  return isObject(traits) ? traits : undefined;
}

function withDefined(target: JsonObject, extra: Record<string, string | undefined>): JsonObject {
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) target[key] = value;
  return target;
}
