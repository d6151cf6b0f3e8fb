import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type SourceRecord } from '@inflow/core';
import { storeAndRedis } from '../../test-support/store-and-redis.js';
import { ElasticStore } from '../elasticsearch/elastic-store.js';
import { RedisSourceCache } from './redis-source-cache.js';

const prefix = `rsc${Date.now().toString(36)}`;
const logger = createLogger({ level: 'error', format: 'text' });

const source = (id: string, allowedOrigins = ['*'], enabled = true): SourceRecord => ({
  id,
  name: id,
  enabled,
  allowedOrigins,
  createdAt: '2026-12-03T00:00:00.000Z',
  updatedAt: new Date().toISOString(),
});

describe('RedisSourceCache on a real Redis over a real Elasticsearch', () => {
  let redis: Redis;
  let store: ElasticStore;
  let cleanUp: () => Promise<void>;
  const hashKey = `${prefix}:sources`;
  beforeAll(async () => {
    ({ redis, store, cleanUp } = await storeAndRedis(prefix, logger));
  });
  afterAll(() => cleanUp());

  it('lists from Redis once a listing from the store was written there, so a listing does not need the store; a wipe sends it to the store again', async () => {
    const writer = new RedisSourceCache(redis, store, hashKey);
    await writer.putSource(source('b-web', ['https://b.example']));
    await writer.putSource(source('a-app'));
    await store.client.indices.refresh({ index: `${prefix}-*` });

    // The first listing asks the store and fills Redis.
    expect((await writer.listSources()).map((s) => s.id)).toEqual(['a-app', 'b-web']);
    expect(await redis.exists(`${hashKey}:listed`)).toBe(1);

    // A process whose store cannot be reached (an edge before Elasticsearch answers) lists from Redis, in the store's order.
    const unreachable = new ElasticStore({ url: 'http://127.0.0.1:9', indexPrefix: prefix, bulkAttempts: 1, maxBulkBytes: 1_000_000, logger });
    const edge = new RedisSourceCache(redis, unreachable, hashKey);
    try {
      expect((await edge.listSources()).map((s) => [s.id, s.allowedOrigins])).toEqual([['a-app', ['*']], ['b-web', ['https://b.example']]]);
      // A change made through any process shows in the next listing at once (no refresh of the store needed).
      await writer.putSource(source('c-new', ['https://c.example']));
      expect((await edge.listSources()).map((s) => s.id)).toEqual(['a-app', 'b-web', 'c-new']);
      // Redis lost its data: the listing asks the store, which this process cannot reach.
      await redis.del(hashKey, `${hashKey}:listed`);
      await expect(edge.listSources()).rejects.toThrow();
    } finally {
      await unreachable.close();
    }
    await store.client.indices.refresh({ index: `${prefix}-*` });
    expect((await writer.listSources()).map((s) => s.id)).toEqual(['a-app', 'b-web', 'c-new']);
  });

  it('never puts an older copy read from the store over the one a change wrote in Redis meanwhile', async () => {
    const cache = new RedisSourceCache(redis, store, hashKey);
    await cache.putSource(source('race', ['*'], true));
    await redis.del(`${hashKey}:listed`);
    // A change's Redis write that lands between a reader's read of the store (enabled) and its fill of Redis.
    const changed = { ...source('race', ['*'], false) };
    const read = await store.listSources();
    expect(read.find((s) => s.id === 'race')?.enabled).toBe(true);
    await redis.hset(hashKey, 'race', JSON.stringify(changed));
    expect((await cache.listSources()).find((s) => s.id === 'race')?.enabled).toBe(true);
    // The listing filled Redis without undoing the change: it lists, and reads, the changed copy.
    expect((await cache.listSources()).find((s) => s.id === 'race')?.enabled).toBe(false);
    expect((await cache.getSource('race'))?.enabled).toBe(false);
  });
});
