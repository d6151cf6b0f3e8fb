import type { Envelope, LoadedState, ProfileState } from '@inflow/core';

/**
 * Requests that named a session but no profile (envelope.profileFromSession) belong to the
 * profile of that session, as in Tracardi. The stored session decides; a new session takes
 * the profile id the edge derived from its id. Both come from stored data or the request
 * itself, so a redelivered request, and requests of one session racing each other, resolve
 * to the same profile.
 */

/**
 * Adds to `state` the profiles that stored sessions give to such requests, which the first
 * load could not know. Nothing to do (no round trip) when no request of the group needs it.
 */
export async function loadSessionProfiles(envelopes: readonly Envelope[], state: LoadedState, profiles: ProfileState): Promise<void> {
  const requested = new Set<string>();
  for (const envelope of envelopes) requested.add(envelope.payload.profile.id);
  const missing = new Set<string>();
  for (const envelope of envelopes) {
    if (!envelope.profileFromSession) continue;
    const profileId = state.sessions.get(envelope.payload.session.id)?.profileId;
    if (profileId !== undefined && !requested.has(profileId)) missing.add(profileId);
  }
  if (missing.size === 0) return;
  const more = await profiles.load([...missing], []);
  for (const [id, profile] of more.profiles) state.profiles.set(id, profile);
}

/** The request with the profile its session gives it (itself when it named a profile, or the session is new). */
export function withSessionProfile(envelope: Envelope, sessions: LoadedState['sessions']): Envelope {
  if (!envelope.profileFromSession) return envelope;
  const profileId = sessions.get(envelope.payload.session.id)?.profileId;
  if (profileId === undefined || profileId === envelope.payload.profile.id) return envelope;
  return { ...envelope, payload: { ...envelope.payload, profile: { id: profileId } } };
}
