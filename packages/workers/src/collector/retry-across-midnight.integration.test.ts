import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Envelope } from '@inflow/core';
import type { ElasticStore } from '../distributed/elasticsearch/elastic-store.js';
import { RedisProfileState } from '../distributed/redis/redis-profile-state.js';
import { envelopeFor } from '../test-support/fixtures.js';
import { storeAndRedis } from '../test-support/store-and-redis.js';
import { Collector } from './collector.js';
import { MOST_EVENTS_PER_REQUEST, RECENT_EVENTS_KEPT } from './collect.js';

const prefix = `rm${Date.now().toString(36)}`;
const logger = createLogger({ level: 'error', format: 'text' });

describe('a client retry that crossed a UTC midnight, collected into a real Elasticsearch and Redis', () => {
  let redis: Redis;
  let store: ElasticStore;
  let collector: Collector;
  let cleanUp: () => Promise<void>;
  beforeAll(async () => {
    ({ redis, store, cleanUp } = await storeAndRedis(prefix, logger));
    const state = new RedisProfileState({ redis, store, keyPrefix: prefix, profileTtlSeconds: 60, sessionTtlSeconds: 60, logger });
    collector = new Collector({ state, store, logger });
  });
  afterAll(() => cleanUp());

  const request = (receivedAt: string, ids: string[]): Envelope =>
    envelopeFor({ profile: { id: 'night-owl' }, session: { id: 'night-s' }, events: ids.map((id) => ({ id, type: 'x' })) }, { receivedAt: Date.parse(receivedAt) });

  it('stores and counts an event without a time of its own once, also when the profile no longer remembers it', async () => {
    expect(await collector.process(request('2026-11-23T23:59:30.000Z', ['owl-1']))).toMatchObject({ kind: 'stored', duplicates: 0 });
    // The retry two minutes after midnight, while the profile still remembers the event.
    expect(await collector.process(request('2026-11-24T00:01:00.000Z', ['owl-1']))).toMatchObject({ kind: 'stored', duplicates: 1 });
    // More events than the profile remembers, then the retry again: the store's copy next door says it was counted.
    const more = Array.from({ length: RECENT_EVENTS_KEPT + 10 }, (_, i) => `owl-more-${i}`);
    for (let at = 0; at < more.length; at += MOST_EVENTS_PER_REQUEST) {
      await collector.process(request('2026-11-23T23:59:40.000Z', more.slice(at, at + MOST_EVENTS_PER_REQUEST)));
    }
    expect(await collector.process(request('2026-11-24T00:03:00.000Z', ['owl-1', 'owl-2']))).toMatchObject({ kind: 'stored', duplicates: 1 });

    await store.client.indices.refresh({ index: `${prefix}-*` });
    const stored = await store.client.count({ index: `${prefix}-events-*`, query: { term: { profileId: 'night-owl' } } });
    expect(stored.count).toBe(1 + more.length + 1);
    expect((await store.getProfile('night-owl'))?.eventCount).toBe(stored.count);
    expect((await store.getSession('night-s'))?.eventCount).toBe(stored.count);
  });

  it('stores and counts it once when both attempts come in one write (a collector that fell behind)', async () => {
    const lark = (receivedAt: string): Envelope => envelopeFor({ profile: { id: 'lark' }, session: { id: 'lark-s' }, events: [{ id: 'lark-1', type: 'x' }] }, { receivedAt: Date.parse(receivedAt) });
    const outcomes = await collector.processAll([lark('2026-11-25T23:59:59.000Z'), lark('2026-11-26T00:00:04.000Z')]);
    expect(outcomes.map((outcome) => outcome.kind === 'stored' && outcome.duplicates)).toEqual([0, 1]);
    await store.client.indices.refresh({ index: `${prefix}-*` });
    expect((await store.client.count({ index: `${prefix}-events-*`, query: { term: { profileId: 'lark' } } })).count).toBe(1);
    expect((await store.getProfile('lark'))?.eventCount).toBe(1);
  });
});
