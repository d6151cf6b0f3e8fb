import { eventTimeMs, MAX_EVENT_TIME, MIN_EVENT_TIME } from '@inflow/protocol';

/** The client-side times of a message, as Segment names them. */
export interface MessageTimes {
  timestamp?: string | number;
  originalTimestamp?: string | number;
  sentAt?: string | number;
}

/**
 * When the event happened, in epoch milliseconds, corrected for the client's clock as Segment
 * does: the client's time of the call plus how far the client's clock is behind ours
 * (`receivedAt − sentAt`, both read when the request left and arrived). The time of the call is
 * `timestamp`, else `originalTimestamp`: a server-side client (RudderStack's) stamps every
 * message's `originalTimestamp` with the time of the call and leaves in `timestamp` the one its
 * caller gave (a past event being imported), which must win, as rudder-server lets it. Without
 * `sentAt` the client's time is taken as it is; without either, `receivedAt`. A correction that
 * would leave the years storage can index keeps the uncorrected time.
 */
export function eventTime(times: MessageTimes, batchSentAt: string | number | undefined, receivedAt: number): number {
  const client = millis(times.timestamp ?? times.originalTimestamp);
  if (client === undefined) return receivedAt;
  const sentAt = millis(times.sentAt ?? batchSentAt);
  if (sentAt === undefined) return client;
  const corrected = client + (receivedAt - sentAt);
  return corrected >= MIN_EVENT_TIME && corrected <= MAX_EVENT_TIME ? corrected : client;
}

/** Read as /track's event times are (eventTimeMs): a time without a zone is UTC, not this server's. */
function millis(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : eventTimeMs(value);
}
