import type { Subject } from '../conditions/field-path.js';
import type { EventRecord, ProfileRecord, SessionRecord } from '@inflow/core';

const AT = '2026-11-29T10:00:00.000Z';

/** An event with the profile and session it resolved to, for rule, condition and mapping tests. */
export function subjectFor(parts: { event?: Partial<EventRecord>; profile?: Partial<ProfileRecord>; session?: Partial<SessionRecord> } = {}): Subject {
  const profile: ProfileRecord = {
    id: 'p-1',
    createdAt: AT,
    updatedAt: AT,
    firstVisitAt: AT,
    lastVisitAt: AT,
    visits: 1,
    eventCount: 1,
    traits: {},
    lastSourceId: 'web',
    recentEventIds: [],
    version: 1,
    ...parts.profile,
  };
  const session: SessionRecord = {
    id: 's-1',
    profileId: profile.id,
    sourceId: 'web',
    startedAt: AT,
    lastEventAt: AT,
    eventCount: 1,
    context: {},
    version: 1,
    ...parts.session,
  };
  const event: EventRecord = {
    id: 'e-1',
    type: 'purchase',
    time: AT,
    receivedAt: AT,
    sourceId: 'web',
    profileId: profile.id,
    sessionId: session.id,
    requestId: 'req-1',
    properties: {},
    context: {},
    async: false,
    ...parts.event,
  };
  return { event, profile, session };
}
