import { Redis } from 'ioredis';
import type { Logger } from '@inflow/core';
import { ElasticStore } from '../distributed/elasticsearch/elastic-store.js';
import { requiredEnv } from './services.js';

/** A test's own ElasticStore (indices under `prefix`, made) and Redis connection, and what removes both's data after it. */
export async function storeAndRedis(prefix: string, logger: Logger): Promise<{ redis: Redis; store: ElasticStore; cleanUp(): Promise<void> }> {
  const redis = new Redis(requiredEnv('INFLOW_REDIS_URL'));
  const store = new ElasticStore({ url: requiredEnv('INFLOW_ELASTICSEARCH_URL'), indexPrefix: prefix, bulkAttempts: 3, maxBulkBytes: 1_000_000, logger });
  await store.init();
  return {
    redis,
    store,
    async cleanUp() {
      const indices = Object.keys(await store.client.indices.get({ index: `${prefix}-*` }));
      await store.client.indices.delete({ index: indices });
      await store.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(keys);
      redis.disconnect();
    },
  };
}
