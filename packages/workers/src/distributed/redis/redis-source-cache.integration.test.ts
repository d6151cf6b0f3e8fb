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

  it('reads a source from Redis once read from the store (then without the store), and never puts a copy it read over a change written meanwhile', async () => {
    const cache = new RedisSourceCache(redis, store, hashKey);
    await cache.putSource(source('web', ['https://web.example']));
    await redis.hdel(hashKey, 'web'); // as after Redis lost its data
    expect((await cache.getSource('web'))?.allowedOrigins).toEqual(['https://web.example']);
    const unreachable = new ElasticStore({ url: 'http://127.0.0.1:9', indexPrefix: prefix, bulkAttempts: 1, maxBulkBytes: 1_000_000, logger });
    try {
      expect((await new RedisSourceCache(redis, unreachable, hashKey).getSource('web'))?.allowedOrigins).toEqual(['https://web.example']);
    } finally {
      await unreachable.close();
    }

    // A change (store, then Redis) that lands while a reader holds the copy it read from the store.
    await redis.hdel(hashKey, 'web');
    const racing: typeof store = Object.create(store) as typeof store;
    racing.getSource = async (id) => {
      const read = await store.getSource(id);
      await cache.putSource(source('web', ['https://changed.example']));
      return read;
    };
    expect((await new RedisSourceCache(redis, racing, hashKey).getSource('web'))?.allowedOrigins).toEqual(['https://web.example']);
    expect((await cache.getSource('web'))?.allowedOrigins).toEqual(['https://changed.example']);
  });
});
