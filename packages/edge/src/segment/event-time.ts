import { clientTimeMs } from '@inflow/protocol';

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
  // Read as /track's times are (clientTimeMs, the same correction): a time without a zone is UTC, not this server's.
  return clientTimeMs(times.timestamp ?? times.originalTimestamp, times.sentAt ?? batchSentAt, receivedAt) ?? receivedAt;
}
