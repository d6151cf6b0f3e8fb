// The distributed engine's adapters, as their own entry point (@inflow/workers/distributed):
// the Elasticsearch client, ioredis and ws load only in processes that use them.
export { PulsarQueue, type PulsarQueueOptions } from './pulsar/pulsar-queue.js';
export { PulsarToken, type PulsarAuthOptions } from './pulsar/pulsar-auth.js';
export { ElasticStore, type ElasticStoreOptions } from './elasticsearch/elastic-store.js';
export { ElasticDefinitions } from './elasticsearch/elastic-definitions.js';
export { RedisProfileState, type RedisProfileStateOptions } from './redis/redis-profile-state.js';
export { RedisSourceCache } from './redis/redis-source-cache.js';
export { createDistributedEngine, type DistributedSettings } from './distributed-engine.js';
