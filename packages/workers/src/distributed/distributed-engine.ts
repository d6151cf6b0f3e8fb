import { Redis } from 'ioredis';
import { type Engine, type Logger, subscribedTopics, type TopicNames } from '@inflow/core';
import { ElasticDefinitions } from './elasticsearch/elastic-definitions.js';
import { ElasticSchedule } from './elasticsearch/elastic-schedule.js';
import { ElasticStore } from './elasticsearch/elastic-store.js';
import { PulsarQueue } from './pulsar/pulsar-queue.js';
import { RedisProfileState } from './redis/redis-profile-state.js';
import { RedisSourceCache } from './redis/redis-source-cache.js';
import { MemoryStatsBoard } from '../memory/memory-stats-board.js';
import { MemoryTraceStore } from '../memory/memory-trace-store.js';

export interface DistributedSettings {
  pulsarUrl: string;
  elasticsearchUrl: string;
  redisUrl: string;
  tenant: string;
  dispatchNamespace: string;
  workflowNamespace: string;
  pulsarPartitions: number;
  pulsarProducerConnections: number;
  pulsarReceiverQueueSize: number;
  sendTimeoutMs: number;
  storagePrefix: string;
  profileTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Elasticsearch index.refresh_interval: how soon stored records become searchable. */
  refreshInterval: string;
  /** How long trace entries are kept; at most this many per profile. */
  traceTtlSeconds: number;
  traceMaxEntries: number;
  traceProfileEntries: number;
  /** How long an instance's counters count after its last snapshot. */
  statsTtlMs: number;
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Apache Pulsar for the queue, Elasticsearch for the store, Redis for hot profile state and
 * the source cache. Creates what is missing (topics, index templates) and returns once each
 * service has answered, so the roles start on a working engine.
 */
export async function createDistributedEngine(settings: DistributedSettings, topics: TopicNames, logger: Logger): Promise<Engine> {
  const store = new ElasticStore({
    url: settings.elasticsearchUrl,
    indexPrefix: settings.storagePrefix,
    bulkAttempts: 3,
    maxBulkBytes: 5_000_000,
    maxBulksInFlight: 2,
    refreshInterval: settings.refreshInterval,
    logger: logger.child('elasticsearch'),
  });
  // A hung Redis must not stall collection: a command gets 1 s, then the store is read instead.
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: 1_000 });
  // While Redis is away ioredis reconnects (at most every 2 s) and says so here; reads go to Elasticsearch meanwhile.
  const redisLogger = logger.child('redis');
  redis.on('error', (error: Error) => redisLogger.warn(`redis: ${error.message}`));
  const definitions = new ElasticDefinitions(store.client, settings.storagePrefix);
  const schedule = new ElasticSchedule(store.client, settings.storagePrefix);
  const queue = new PulsarQueue({
    webServiceUrl: settings.pulsarUrl,
    tenant: settings.tenant,
    topics: subscribedTopics(topics),
    extraNamespaces: [settings.dispatchNamespace, settings.workflowNamespace],
    runtimeTopicNamespaces: [settings.dispatchNamespace],
    partitions: settings.pulsarPartitions,
    producerConnections: settings.pulsarProducerConnections,
    sendTimeoutMs: settings.sendTimeoutMs,
    receiverQueueSize: settings.pulsarReceiverQueueSize,
    logger: logger.child('pulsar'),
  });
  try {
    await redis.connect();
    await store.init();
    await definitions.init();
    await schedule.init();
    await queue.init();
  } catch (error) {
    redis.disconnect();
    await Promise.allSettled([store.close(), queue.close()]);
    throw error;
  }
  logger.info('distributed engine connected', { pulsar: settings.pulsarUrl, elasticsearch: settings.elasticsearchUrl, redis: settings.redisUrl });
  return {
    queue,
    store,
    definitions,
    schedule,
    // TODO(trace): Redis adapters, so every role sees one trace and one board.
    trace: new MemoryTraceStore({ maxEntries: settings.traceMaxEntries, ttlMs: settings.traceTtlSeconds * 1000 }),
    stats: new MemoryStatsBoard(settings.statsTtlMs),
    sources: new RedisSourceCache(redis, store, `${settings.storagePrefix}:sources`),
    profileState: new RedisProfileState({
      redis,
      store,
      keyPrefix: settings.storagePrefix,
      profileTtlSeconds: settings.profileTtlSeconds,
      sessionTtlSeconds: settings.sessionTtlSeconds,
      logger: logger.child('redis'),
    }),
    async close() {
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
      await store.close();
    },
  };
}
