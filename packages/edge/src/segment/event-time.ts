import { eventTimeMs, sentAtMs } from '@inflow/protocol';

/** The client-side times of a message, as Segment names them. */
export interface MessageTimes {
  timestamp?: string | number;
  originalTimestamp?: string | number;
  sentAt?: string | number;
}

/** A message's own time and the sentAt that corrects it, as the edge queues them. */
export interface QueuedTimes {
  /** When the call happened by the client's clock, epoch ms; undefined when the message names no time. */
  own: number | undefined;
  /** When the client sent it by the same clock (the message's, else its batch's); undefined when not given or unreadable. */
  sentAt: string | number | undefined;
}

/**
 * The times the edge queues for a message; the collector corrects the own time for the client's
 * clock as Segment does (`own + (receivedAt − sentAt)`, protocol's correctedTimeMs, the same as
 * for /track) and keeps the own time as `clientTime`. The corrected time moves with each
 * attempt's transit, the own time does not: so a retry lands in the same daily index and derived
 * session as the first attempt. The time of the call is `timestamp`, else `originalTimestamp`: a
 * server-side client (RudderStack's) stamps every message's `originalTimestamp` with the time of
 * the call and leaves in `timestamp` the one its caller gave (a past event being imported), which
 * must win, as rudder-server lets it. Both are read as /track's times are (a time without a zone
 * is UTC, not this server's).
 */
export function queuedTimes(times: MessageTimes, batchSentAt: string | number | undefined): QueuedTimes {
  const time = times.timestamp ?? times.originalTimestamp;
  const sentAt = times.sentAt ?? batchSentAt;
  return {
    own: time === undefined ? undefined : eventTimeMs(time),
    sentAt: sentAt !== undefined && sentAtMs(sentAt) !== undefined ? sentAt : undefined,
  };
}
