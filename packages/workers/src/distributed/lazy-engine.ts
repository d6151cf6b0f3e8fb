import type { Engine, Logger, TopicNames } from '@inflow/core';
import type { DistributedSettings } from './distributed-engine.js';

/**
 * Loads the distributed engine (and its clients: Elasticsearch, ioredis, ws) only when it is
 * asked for, so an embedded process does not carry them (about 25 MB of memory).
 */
export async function createDistributedEngine(settings: DistributedSettings, topics: TopicNames, logger: Logger): Promise<Engine> {
  const { createDistributedEngine: create } = await import('./distributed-engine.js');
  return create(settings, topics, logger);
}
