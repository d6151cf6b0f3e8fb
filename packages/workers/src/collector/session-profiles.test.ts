import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedProfileState } from '../embedded/cached-profile-state.js';
import { SqliteStore } from '../embedded/sqlite-store.js';
import { createLogger, type Envelope, normalizePayload, profileIdForSession } from '@inflow/core';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';
import { Collector } from './collector.js';

/** A request naming only a session, as the edge hands it on. */
function sessionOnly(sessionId: string, eventId: string): Envelope {
  const { payload, profileFromSession } = normalizePayload({ source: { id: 'web' }, session: { id: sessionId }, events: [{ id: eventId, type: 'x' }] });
  return envelopeFor(payload, profileFromSession ? { profileFromSession: true } : {});
}

describe('requests that name a session but no profile', () => {
  let store: SqliteStore;
  let remove: () => void;
  const logger = createLogger({ level: 'error', format: 'text' });
  const collector = (): Collector => new Collector({ state: new CachedProfileState(store, 100), store, logger });

  beforeEach(() => {
    const temp = tempDir('session-profiles');
    remove = temp.remove;
    store = new SqliteStore(join(temp.dir, 's.db'));
  });
  afterEach(async () => {
    await store.close();
    remove();
  });

  it("go to the profile of a known session, and the answer names it", async () => {
    const c = collector();
    await c.process(envelopeFor({ profile: { id: 'jane' }, session: { id: 'visit' }, events: [{ id: 'e0', type: 'x' }] }));
    const outcome = await c.process(sessionOnly('visit', 'e1'));
    expect(outcome).toMatchObject({ kind: 'stored', accepted: { profile: { id: 'jane' }, session: { id: 'visit' }, events: ['e1'] } });
    expect(await store.getProfile('jane')).toMatchObject({ eventCount: 2, visits: 1 });
    expect(await store.getProfile(profileIdForSession('visit'))).toBeNull();
    expect((await store.getEvent('e1'))?.profileId).toBe('jane');
  });

  it('give a new session the profile derived from its id, also for requests folded into one write', async () => {
    const outcomes = await collector().processAll([sessionOnly('fresh', 'a'), sessionOnly('fresh', 'b'), sessionOnly('fresh', 'c')]);
    const profileId = profileIdForSession('fresh');
    expect(outcomes.map((o) => o.kind === 'stored' && o.accepted.profile?.id)).toEqual([profileId, profileId, profileId]);
    expect(await store.getProfile(profileId)).toMatchObject({ eventCount: 3, visits: 1 });
  });

  it('follow the session to the profile an earlier request of the same write moved it to', async () => {
    const c = collector();
    await c.process(sessionOnly('moving', 'm0'));
    const outcomes = await c.processAll([
      envelopeFor({ profile: { id: 'known' }, session: { id: 'moving' }, events: [{ id: 'm1', type: 'identify' }] }),
      sessionOnly('moving', 'm2'),
    ]);
    expect(outcomes[1]).toMatchObject({ kind: 'stored', accepted: { profile: { id: 'known' } } });
    expect(await store.getProfile('known')).toMatchObject({ eventCount: 2 });
  });

  it('end on one profile with exact counts when collectors with their own caches race, and a redelivery counts nothing twice', async () => {
    const [a, b] = [collector(), collector()];
    const requests = Array.from({ length: 12 }, (_, i) => sessionOnly('raced', `r${i}`));
    const outcomes = await Promise.all(requests.map((request, i) => (i % 2 === 0 ? a : b).process(request)));
    const profileId = profileIdForSession('raced');
    expect(new Set(outcomes.map((o) => o.kind === 'stored' && o.accepted.profile?.id))).toEqual(new Set([profileId]));
    await b.processAll(requests.slice(0, 4)); // redelivered
    expect(await store.getProfile(profileId)).toMatchObject({ eventCount: 12, visits: 1 });
    expect(await store.getSession('raced')).toMatchObject({ eventCount: 12, profileId });
  });
});
