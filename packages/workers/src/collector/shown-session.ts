import type { SessionRecord } from '@inflow/core';

/** A session as rules and deliveries see it: without the dedup memory (marks and write stamps), which would make every delivery kilobytes longer. */
export function withoutDedupMemory(session: SessionRecord): SessionRecord {
  if (session.recentEventIds === undefined && session.profileWrites === undefined) return session;
  const shown = { ...session };
  delete shown.recentEventIds;
  delete shown.profileWrites;
  return shown;
}
