import { randomUUID } from 'node:crypto';
import type { NormalizedPayload, TrackPayload } from '@inflow/protocol';
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
 * with a session and no profile gets the profile derived from its session id (see Normalized).
 */
export function normalizePayload(payload: TrackPayload, newId: () => string = randomUUID): Normalized {
  if (isNormalized(payload)) return { payload, changed: false, profileFromSession: false };
  const sessionId = payload.session?.id;
  const profileFromSession = !payload.profile?.id && Boolean(sessionId);
  return {
    changed: true,
    profileFromSession,
    payload: {
      ...payload,
      profile: payload.profile?.id ? payload.profile : { id: sessionId ? profileIdForSession(sessionId) : newId() },
      session: payload.session?.id ? payload.session : { id: newId() },
      events: payload.events.map((event) => (event.id ? { ...event, id: event.id } : { ...event, id: newId() })),
    },
  };
}
