import { createHash } from 'node:crypto';

/** Length of the fixed windows Segment messages are put into sessions by. */
export const SESSION_WINDOW_MS = 30 * 60 * 1000;

/**
 * Segment messages carry no session. Until the collector resolves sessions by profile, the edge
 * derives one: the same source, profile and 30-minute window (UTC, by the event's time) give the
 * same session id on every edge and on every redelivery. A visit that crosses a window boundary
 * counts as two sessions.
 */
export function derivedSessionId(sourceId: string, profileId: string, time: number): string {
  const window = Math.floor(time / SESSION_WINDOW_MS);
  return 'sg-' + createHash('sha256').update(`${sourceId}\n${profileId}\n${window}`).digest('base64url').slice(0, 24);
}
