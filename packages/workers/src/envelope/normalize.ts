import { randomUUID } from 'node:crypto';
import type { NormalizedPayload, TrackPayload } from '@inflow/protocol';
import { isNormalized } from './envelope.js';

export interface Normalized {
  payload: NormalizedPayload;
  /** false when every id was already there: the raw body can be queued as it is. */
  changed: boolean;
}

/**
 * Gives the profile, the session and every event an id before anything is queued or
 * processed, so that processing the request again can never create a second copy.
 */
export function normalizePayload(payload: TrackPayload, newId: () => string = randomUUID): Normalized {
  if (isNormalized(payload)) return { payload, changed: false };
  return {
    changed: true,
    payload: {
      ...payload,
      profile: payload.profile?.id ? payload.profile : { id: newId() },
      session: payload.session?.id ? payload.session : { id: newId() },
      events: payload.events.map((event) => (event.id ? { ...event, id: event.id } : { ...event, id: newId() })),
    },
  };
}
