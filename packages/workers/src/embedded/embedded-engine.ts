import { join } from 'node:path';
import type { Engine } from '../ports/engine.js';
import type { TopicNames } from '../topics.js';
import { CachedProfileState } from './cached-profile-state.js';
import { SqliteDefinitions } from './sqlite-definitions.js';
import { SqliteQueue } from './sqlite-queue.js';
import { SqliteSchedule } from './sqlite-schedule.js';
import { SqliteStore } from './sqlite-store.js';

export interface EmbeddedSettings {
  dataDir: string;
  tenant: string;
  queueMaxBacklog: number;
  profileCacheSize: number;
}

/** Everything on local files under dataDir: a SQLite queue and a SQLite store. No server needed. */
export function createEmbeddedEngine(settings: EmbeddedSettings, topics: TopicNames): Engine {
  const queue = new SqliteQueue({
    file: join(settings.dataDir, 'queue.db'),
    tenant: settings.tenant,
    maxBacklog: settings.queueMaxBacklog,
    topics: [topics.collector, topics.workflow],
  });
  const store = new SqliteStore(join(settings.dataDir, 'store.db'));
  const definitions = new SqliteDefinitions(join(settings.dataDir, 'store.db'));
  const schedule = new SqliteSchedule(join(settings.dataDir, 'store.db'));
  return {
    queue,
    store,
    sources: store,
    definitions,
    schedule,
    profileState: new CachedProfileState(store, settings.profileCacheSize),
    async close() {
      await queue.close();
      definitions.close();
      schedule.close();
      store.close();
    },
  };
}
