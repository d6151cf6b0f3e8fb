import type { Logger } from '@inflow/core';
import { ElasticDefinitions } from './elastic-definitions.js';
import { ElasticSchedule } from './elastic-schedule.js';
import { ElasticStore } from './elastic-store.js';

export interface ElasticStorageOptions {
  url: string;
  indexPrefix: string;
  refreshInterval: string;
  logger: Logger;
}

/** What the distributed engine keeps in Elasticsearch: records and sources, definitions, the schedule. */
export interface ElasticStorage {
  store: ElasticStore;
  definitions: ElasticDefinitions;
  schedule: ElasticSchedule;
}

/**
 * Connects to Elasticsearch and makes what is missing (index templates, indices, mappings);
 * resolves once it answered, rejects (with the client closed) when it did not. Its own module, so
 * that a process loads the Elasticsearch client only when it opens the storage.
 */
export async function openElasticStorage(options: ElasticStorageOptions): Promise<ElasticStorage> {
  const store = new ElasticStore({
    url: options.url,
    indexPrefix: options.indexPrefix,
    bulkAttempts: 3,
    maxBulkBytes: 5_000_000,
    maxBulksInFlight: 2,
    refreshInterval: options.refreshInterval,
    logger: options.logger,
  });
  const definitions = new ElasticDefinitions(store.client, options.indexPrefix);
  const schedule = new ElasticSchedule(store.client, options.indexPrefix);
  try {
    await store.init();
    await definitions.init();
    await schedule.init();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return { store, definitions, schedule };
}
