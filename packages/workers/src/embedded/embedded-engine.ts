import { join } from 'node:path';
import type { Engine, TopicNames } from '@inflow/core';
import { MemoryStatsBoard } from '../memory/memory-stats-board.js';
import { MemoryTraceStore } from '../memory/memory-trace-store.js';
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
  /** How long trace entries are kept, and at most how many (in memory). */
  traceTtlSeconds: number;
  traceMaxEntries: number;
  traceProfileEntries: number;
  /** How long an instance's counters count after its last snapshot. */
  statsTtlMs: number;
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
    trace: new MemoryTraceStore({ maxEntries: settings.traceMaxEntries, profileEntries: settings.traceProfileEntries, ttlMs: settings.traceTtlSeconds * 1000 }),
    stats: new MemoryStatsBoard(settings.statsTtlMs),
    async close() {
      try {
        await queue.close();
      } finally {
        definitions.close();
        schedule.close();
        await store.close();
      }
    },
  };
}
