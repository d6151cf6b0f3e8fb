import { createHash } from 'node:crypto';

/** Length of the fixed windows a request that names no session is put into a session by. */
export const SESSION_WINDOW_MS = 30 * 60 * 1000;

/**
 * The session of a request that names a profile but no session (a Segment message, a server's
 * /track call): the same source, profile and 30-minute window (UTC, by the event's time) give
 * the same session id on every edge, on every redelivery and on a client's retry, so that a
 * request sent again lands in the session that counted its events. A visit that crosses a
 * window boundary counts as two sessions. (The `sg-` prefix dates from when only the Segment
 * endpoints derived sessions; kept so that existing sessions keep their ids.)
 */
export function derivedSessionId(sourceId: string, profileId: string, time: number): string {
  const window = Math.floor(time / SESSION_WINDOW_MS);
  return 'sg-' + createHash('sha256').update(`${sourceId}\n${profileId}\n${window}`).digest('base64url').slice(0, 24);
}
