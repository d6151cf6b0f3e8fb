import { Redis } from 'ioredis';
import { type DefinitionStore, deferredPort, type Engine, errorMessage, InfrastructureError, type Logger, type RecordStore, type ScheduleStore, shownUrl, type SourceStore, subscribedTopics, type TopicNames } from '@inflow/core';
import type { ElasticStorage } from './elasticsearch/elastic-storage.js';
import { storageOpener } from './elasticsearch/storage-opener.js';
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
  /**
   * Connect to Elasticsearch (and load its client) only when something first reads or writes
   * there, not at start (default false). For the edge role: queued requests need Pulsar and
   * Redis only, so an edge starts, and takes requests, while Elasticsearch is away, and does not
   * carry the client (about 8 MB of the process's memory) until its private API, a request
   * processed in place, a source missing from Redis or the list of sources (CORS) asks for the store.
   */
  storageOnFirstUse?: boolean;
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Apache Pulsar for the queue, Elasticsearch for the store, Redis for hot profile state, the
 * source cache, the trace and the stats board. Creates what is missing (topics, index templates) and returns once each
 * service has answered, so the roles start on a working engine; with `storageOnFirstUse`, once
 * Pulsar and Redis have (Elasticsearch then answers, or is waited for, at its first use).
 */
export async function createDistributedEngine(settings: DistributedSettings, topics: TopicNames, logger: Logger): Promise<Engine> {
  const storage = storageOpener(
    { url: settings.elasticsearchUrl, indexPrefix: settings.storagePrefix, refreshInterval: settings.refreshInterval, logger: logger.child('elasticsearch') },
    logger,
    settings.storageOnFirstUse === true,
  );
  // A hung Redis must not stall collection: a command gets 1 s, then the store is read instead.
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: 1_000 });
  // The trace and the stats board on a connection of their own: a trace pipeline of a big batch
  // never queues ahead of the collector's reads on one socket, and while Redis is away their
  // commands fail at once (no offline queue) instead of piling up in memory.
  const observing = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: 2_000, enableOfflineQueue: false });
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
  // Opened at start, unless on first use (then each port opens it when first called).
  let opened: ElasticStorage | undefined;
  try {
    await connectRedis(redis, settings.redisUrl);
    await connectRedis(observing, settings.redisUrl);
    // From here on, while Redis is away ioredis reconnects (at most every 2 s) and says so here; reads go to Elasticsearch meanwhile.
    const redisLogger = logger.child('redis');
    redis.on('error', (error: Error) => redisLogger.warn(`redis: ${error.message}`));
    observing.on('error', (error: Error) => redisLogger.debug(`redis (trace, stats): ${error.message}`));
    if (!settings.storageOnFirstUse) opened = await storage.get();
    await queue.init();
  } catch (error) {
    redis.disconnect();
    observing.disconnect();
    await Promise.allSettled([storage.close(), queue.close()]);
    throw error;
  }
  // One line once everything answered (each service's own "ready" is debug: a start that waits for a service makes them again at every attempt).
  logger.info('distributed engine connected', {
    pulsar: shownUrl(settings.pulsarUrl),
    tenant: settings.tenant,
    elasticsearch: settings.storageOnFirstUse ? `${shownUrl(settings.elasticsearchUrl)} (on first use)` : shownUrl(settings.elasticsearchUrl),
    indexPrefix: settings.storagePrefix,
    redis: shownUrl(settings.redisUrl),
  });
  const store: RecordStore & SourceStore = opened?.store ?? deferredPort<RecordStore & SourceStore>(STORE_MEMBERS, async () => (await storage.get()).store);
  const sources = new RedisSourceCache(redis, store, `${settings.storagePrefix}:sources`);
  return {
    queue,
    store,
    definitions: opened?.definitions ?? deferredPort<DefinitionStore>(DEFINITION_MEMBERS, async () => (await storage.get()).definitions),
    schedule: opened?.schedule ?? deferredPort<ScheduleStore>(SCHEDULE_MEMBERS, async () => (await storage.get()).schedule),
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
    sources,
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
      await storage.close();
    },
  };
}

/** The ports' methods, for deferredPort (the compiler checks that none is left out). */
const STORE_MEMBERS = {
  write: true,
  storedCopies: true,
  getProfile: true,
  getSession: true,
  getProfiles: true,
  getSessions: true,
  listSessions: true,
  getEvent: true,
  listEvents: true,
  listSources: true,
  getSource: true,
  putSource: true,
} as const;
const DEFINITION_MEMBERS = { list: true, get: true, put: true, delete: true } as const;
const SCHEDULE_MEMBERS = { schedule: true, leaseDue: true, complete: true, list: true } as const;

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
