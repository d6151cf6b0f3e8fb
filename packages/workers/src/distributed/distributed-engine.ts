import { Redis } from 'ioredis';
import { type Engine, errorMessage, InfrastructureError, type Logger, shownUrl, subscribedTopics, type TopicNames } from '@inflow/core';
import { ElasticDefinitions } from './elasticsearch/elastic-definitions.js';
import { ElasticSchedule } from './elasticsearch/elastic-schedule.js';
import { ElasticStore } from './elasticsearch/elastic-store.js';
import { PulsarToken } from './pulsar/pulsar-auth.js';
import { PulsarQueue } from './pulsar/pulsar-queue.js';
import { RedisProfileState } from './redis/redis-profile-state.js';
import { RedisSourceCache } from './redis/redis-source-cache.js';
import { RedisStatsBoard } from './redis/redis-stats-board.js';
import { RedisTraceStore } from './redis/redis-trace-store.js';

export interface DistributedSettings {
  pulsarUrl: string;
  /** Producers and consumers on Pulsar's binary protocol or its WebSocket API. */
  pulsarTransport: 'binary' | 'websocket';
  /** pulsar://host:port for the binary protocol (undefined: the address the cluster's metadata gives). */
  pulsarServiceUrl?: string | undefined;
  /** Pulsar's token authentication (a JWT), or a file holding the token; neither for a cluster without authentication. */
  pulsarToken?: string | undefined;
  pulsarTokenFile?: string | undefined;
  elasticsearchUrl: string;
  redisUrl: string;
  tenant: string;
  dispatchNamespace: string;
  workflowNamespace: string;
  pulsarPartitions: number;
  pulsarProducerConnections: number;
  pulsarReceiverQueueSize: number;
  pulsarStallCheckMs: number;
  sendTimeoutMs: number;
  storagePrefix: string;
  profileTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Elasticsearch index.refresh_interval: how soon stored records become searchable ('auto': see ElasticStoreOptions). */
  refreshInterval: string;
  /** How long trace entries are kept; at most this many per profile. */
  traceTtlSeconds: number;
  /** The embedded engine's bound (in memory); Redis lists are bounded per key and by the time to live. */
  traceMaxEntries: number;
  traceProfileEntries: number;
  traceRedisMaxEntries: number;
  /** How long an instance's counters count after its last snapshot. */
  statsTtlMs: number;
  /** Check at start that Pulsar's binary protocol answers (default true; `inflow setup` needs only the admin API). */
  checkPulsarBroker?: boolean;
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Apache Pulsar for the queue, Elasticsearch for the store, Redis for hot profile state, the
 * source cache, the trace and the stats board. Creates what is missing (topics, index templates) and returns once each
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
  // The trace and the stats board on a connection of their own: a trace pipeline of a big batch
  // never queues ahead of the collector's reads on one socket, and while Redis is away their
  // commands fail at once (no offline queue) instead of piling up in memory.
  const observing = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: 2_000, enableOfflineQueue: false });
  const definitions = new ElasticDefinitions(store.client, settings.storagePrefix);
  const schedule = new ElasticSchedule(store.client, settings.storagePrefix);
  const queue = new PulsarQueue({
    webServiceUrl: settings.pulsarUrl,
    transport: settings.pulsarTransport,
    ...(settings.pulsarServiceUrl ? { serviceUrl: settings.pulsarServiceUrl } : {}),
    ...(settings.checkPulsarBroker === false ? { checkBroker: false } : {}),
    tenant: settings.tenant,
    topics: subscribedTopics(topics),
    extraNamespaces: [settings.dispatchNamespace, settings.workflowNamespace],
    runtimeTopicNamespaces: [settings.dispatchNamespace],
    partitions: settings.pulsarPartitions,
    producerConnections: settings.pulsarProducerConnections,
    sendTimeoutMs: settings.sendTimeoutMs,
    receiverQueueSize: settings.pulsarReceiverQueueSize,
    stallCheckMs: settings.pulsarStallCheckMs,
    auth: PulsarToken.from({ token: settings.pulsarToken, tokenFile: settings.pulsarTokenFile }),
    logger: logger.child('pulsar'),
  });
  try {
    await connectRedis(redis, settings.redisUrl);
    await connectRedis(observing, settings.redisUrl);
    // From here on, while Redis is away ioredis reconnects (at most every 2 s) and says so here; reads go to Elasticsearch meanwhile.
    const redisLogger = logger.child('redis');
    redis.on('error', (error: Error) => redisLogger.warn(`redis: ${error.message}`));
    observing.on('error', (error: Error) => redisLogger.debug(`redis (trace, stats): ${error.message}`));
    await store.init();
    await definitions.init();
    await schedule.init();
    await queue.init();
  } catch (error) {
    redis.disconnect();
    observing.disconnect();
    await Promise.allSettled([store.close(), queue.close()]);
    throw error;
  }
  // One line once everything answered (each service's own "ready" is debug: a start that waits for a service makes them again at every attempt).
  logger.info('distributed engine connected', {
    pulsar: shownUrl(settings.pulsarUrl),
    tenant: settings.tenant,
    elasticsearch: shownUrl(settings.elasticsearchUrl),
    indexPrefix: settings.storagePrefix,
    redis: shownUrl(settings.redisUrl),
  });
  return {
    queue,
    store,
    definitions,
    schedule,
    // One trace and one board for every role and process of the deployment.
    trace: new RedisTraceStore({
      redis: observing,
      keyPrefix: settings.storagePrefix,
      ttlSeconds: settings.traceTtlSeconds,
      profileEntries: settings.traceProfileEntries,
      maxEntries: settings.traceRedisMaxEntries,
      logger: logger.child('trace'),
    }),
    stats: new RedisStatsBoard({ redis: observing, keyPrefix: settings.storagePrefix, ttlMs: settings.statsTtlMs, logger: logger.child('stats') }),
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
      await observing.quit().catch(() => observing.disconnect());
      await store.close();
    },
  };
}

/**
 * Connects a client made with lazyConnect. Redis not answering is an outage (InfrastructureError,
 * naming the address and the socket's error rather than ioredis' "Connection is closed."); an
 * answer refusing us (a wrong password: ReplyError) is not.
 */
async function connectRedis(redis: Redis, url: string): Promise<void> {
  let socketError: Error | undefined;
  const remember = (error: Error): void => {
    socketError = error;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    // ioredis reports a refused AUTH as an 'error' event and rejects connect() with "Connection is closed.".
    if (socketError?.name === 'ReplyError') throw new Error(`redis at ${shownUrl(url)} refused the connection: ${socketError.message}`, { cause: socketError });
    if (error instanceof Error && error.name === 'ReplyError') throw error;
    throw new InfrastructureError('cache', `redis at ${shownUrl(url)}: ${errorMessage(socketError ?? error)}`, { cause: error });
  } finally {
    redis.off('error', remember);
  }
}
