import type { EventRecord, ProfileWrites } from '@inflow/core';

/**
 * A session's record of the profile writes it was written with (SessionRecord.profileWrites).
 *
 * An event is stamped with the profile's collector write that counts it (EventRecord.countedIn),
 * and the same round writes the event's session with that write recorded. So when a request
 * comes back (a broker's redelivery, however late, or a client's resend), the session it is
 * stored under counted it if the session has had the stamped write of its profile, whatever the
 * session's other profiles did meanwhile.
 */

/** The most profiles a session records; the one seen longest ago is forgotten first. */
export const PROFILE_WRITES_KEPT = 16;

/** A session as the round loaded it: absent (new), or with its record (undefined: none kept yet). */
export type LoadedProfileWrites = ReadonlyMap<string, ProfileWrites | undefined>;

/**
 * Whether the event's session had the profile write `stamp` (and so counted the event), or
 * undefined where it cannot tell: a session whose record began after the session did (written
 * before sessions kept one) or forgot profiles. A session new in this round had nothing.
 */
export function sessionHadWrite(sessions: LoadedProfileWrites, event: EventRecord, stamp: number): boolean | undefined {
  if (!sessions.has(event.sessionId)) return false;
  const record = sessions.get(event.sessionId);
  if (record === undefined) return undefined;
  const had = record.last.find(([profileId]) => profileId === event.profileId);
  if (had) return had[1] >= stamp;
  return record.complete ? false : undefined;
}

/**
 * A session's record after a round that wrote it for `profiles`, each at its write of this round
 * (`before`, its collector writes as loaded, plus one). A number never goes down: a round that
 * worked on an old copy of a profile is refused, and its session must not forget the newer write.
 */
export function withProfileWrites(
  had: ProfileWrites | undefined,
  sessionIsNew: boolean,
  profiles: ReadonlySet<string>,
  before: ReadonlyMap<string, number>,
): ProfileWrites {
  const last = had ? had.last.slice() : [];
  let complete = had ? had.complete : sessionIsNew;
  for (const profileId of profiles) {
    const at = last.findIndex(([id]) => id === profileId);
    const write = (before.get(profileId) ?? 0) + 1;
    if (at === -1) {
      last.push([profileId, write]);
    } else {
      const [entry] = last.splice(at, 1);
      last.push([profileId, Math.max(write, entry?.[1] ?? 0)]);
    }
  }
  if (last.length > PROFILE_WRITES_KEPT) {
    last.splice(0, last.length - PROFILE_WRITES_KEPT);
    complete = false;
  }
  return { last, complete };
}
