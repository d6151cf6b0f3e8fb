import { join } from 'node:path';
import { CachedProfileState, SqliteQueue, SqliteStore, type TopicRef } from '@inflow/workers';
import type { Config } from '../config/config.js';
import type { Engine } from './engine.js';

/** Everything on local files under dataDir: a SQLite queue and a SQLite store. No server needed. */
export function createEmbeddedEngine(config: Config, topics: TopicRef[]): Engine {
  const queue = new SqliteQueue({
    file: join(config.dataDir, 'queue.db'),
    tenant: config.tenant,
    maxBacklog: config.queueMaxBacklog,
    topics,
  });
  const store = new SqliteStore(join(config.dataDir, 'store.db'));
  return {
    queue,
    store,
    sources: store,
    profileState: new CachedProfileState(store, config.profileCacheSize),
    async close() {
      await queue.close();
      store.close();
    },
  };
}
