import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../collector/collect.js';
import { createLogger } from '@inflow/core';
import { envelopeFor } from '../../test-support/fixtures.js';
import { storeAndRedis } from '../../test-support/store-and-redis.js';
import type { ElasticStore } from '../elasticsearch/elastic-store.js';
import { RedisProfileState } from './redis-profile-state.js';

const prefix = `rs${Date.now().toString(36)}`;
const logger = createLogger({ level: 'error', format: 'text' });

describe('RedisProfileState on a real Redis over a real Elasticsearch', () => {
  let redis: Redis;
  let store: ElasticStore;
  let state: RedisProfileState;
  let cleanUp: () => Promise<void>;
  beforeAll(async () => {
    ({ redis, store, cleanUp } = await storeAndRedis(prefix, logger));
    state = new RedisProfileState({ redis, store, keyPrefix: prefix, profileTtlSeconds: 60, sessionTtlSeconds: 60, logger });
  });
  afterAll(() => cleanUp());

  it('reads what Redis lost from the store in one multi-get, and never moves a cached record back', async () => {
    const v1 = collect(envelopeFor({ profile: { id: 'rp' }, session: { id: 'rs' }, events: [{ id: 'a', type: 'x' }] }), { profile: null, session: null });
    const v2 = collect(envelopeFor({ profile: { id: 'rp' }, session: { id: 'rs' }, events: [{ id: 'b', type: 'x' }] }), v1);
    await store.write({ profiles: [v2.profile], sessions: [v2.session], events: [] });

    // Nothing cached (as after a wipe): the store's copies, version 2.
    let loaded = await state.load(['rp', 'nobody'], ['rs']);
    expect(loaded.profiles.get('rp')?.version).toBe(2);
    expect(loaded.profiles.has('nobody')).toBe(false);
    expect(loaded.sessions.get('rs')?.eventCount).toBe(2);

    await state.save([v2.profile], [v2.session]);
    await state.save([v1.profile], [v1.session]); // a slow writer with an older copy
    expect(await redis.get(`${prefix}:profile:rp`)).toMatch(/^2\|/);
    loaded = await state.load(['rp'], ['rs']);
    expect(loaded.profiles.get('rp')?.version).toBe(2);

    await state.forget(['rp'], ['rs']);
    expect(await redis.exists(`${prefix}:profile:rp`, `${prefix}:session:rs`)).toBe(0);
  });

  it('goes on with the store when Redis cannot be reached', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    const blind = new RedisProfileState({ redis: down, store, keyPrefix: prefix, profileTtlSeconds: 60, sessionTtlSeconds: 60, logger });
    const v1 = collect(envelopeFor({ profile: { id: 'rd' }, session: { id: 'rds' }, events: [{ id: 'c', type: 'x' }] }), { profile: null, session: null });
    await store.write({ profiles: [v1.profile], sessions: [v1.session], events: [] });
    const loaded = await blind.load(['rd'], ['rds']);
    expect(loaded.profiles.get('rd')?.eventCount).toBe(1);
    await expect(blind.save([v1.profile], [v1.session])).resolves.toBeUndefined();
    down.disconnect();
  });
});
