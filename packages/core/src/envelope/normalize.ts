import { randomUUID } from 'node:crypto';
import { eventTimeMs, type NormalizedPayload, type TrackPayload } from '@inflow/protocol';
import { derivedSessionId } from './derived-session.js';
import { isNormalized } from './envelope.js';
import { profileIdForSession } from './session-profile.js';

export interface Normalized {
  payload: NormalizedPayload;
  /** false when every id was already there: the raw body can be queued as it is. */
  changed: boolean;
  /**
   * The request named a session but no profile. It belongs to the session's profile, which
   * only the collector knows: `payload.profile` is the one a new session gets
   * (profileIdForSession), and the envelope says `profileFromSession`.
   */
  profileFromSession: boolean;
}

/**
 * Gives the profile, the session and every event an id before anything is queued or
 * processed, so that processing the request again can never create a second copy. A request
 * with a session and no profile gets the profile derived from its session id (see Normalized);
 * one with a profile and no session, the session of its profile's 30-minute window
 * (derivedSessionId, by its first event's time, else `now`), so that a client sending it again
 * finds the session that counted its events instead of opening a new one. A request with
 * neither gets a new profile and a new session.
 */
export function normalizePayload(payload: TrackPayload, newId: () => string = randomUUID, now: () => number = Date.now): Normalized {
  if (isNormalized(payload)) return { payload, changed: false, profileFromSession: false };
  const sessionId = payload.session?.id;
  const profileFromSession = !payload.profile?.id && Boolean(sessionId);
  const profile = payload.profile?.id ? payload.profile : { id: sessionId ? profileIdForSession(sessionId) : newId() };
  return {
    changed: true,
    profileFromSession,
    payload: {
      ...payload,
      profile,
      session: payload.session?.id ? payload.session : { id: payload.profile?.id ? derivedSessionId(payload.source.id, payload.profile.id, windowTime(payload, now)) : newId() },
      events: payload.events.map((event) => (event.id ? { ...event, id: event.id } : { ...event, id: newId() })),
    },
  };
}

/**
 * The time a request's derived session goes by: its first event's own time when it has a valid
 * one, else now. By the client's clock, not corrected by sentAt: a retry repeats its own time,
 * while the corrected one moves with each attempt's transit and could cross into the next half hour.
 */
function windowTime(payload: TrackPayload, now: () => number): number {
  const first = payload.events[0];
  return (first?.time === undefined ? undefined : eventTimeMs(first.time)) ?? now();
}
