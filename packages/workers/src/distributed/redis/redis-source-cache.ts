import type { Redis } from 'ioredis';
import type { SourceRecord, SourceStore } from '@inflow/core';

/**
 * Sources through Redis: edges read a source from one Redis hash instead of Elasticsearch, and
 * every change is written to both. Listing goes to the store, which is authoritative. A source
 * read from the store is written with HSETNX: a read that raced a change never puts the older
 * copy it read over the one the change wrote.
 */
export class RedisSourceCache implements SourceStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: SourceStore,
    private readonly hashKey: string,
  ) {}

  async getSource(id: string): Promise<SourceRecord | null> {
    const cached = await this.redis.hget(this.hashKey, id);
    if (cached) return JSON.parse(cached) as SourceRecord;
    const source = await this.store.getSource(id);
    if (source) await this.redis.hsetnx(this.hashKey, id, JSON.stringify(source));
    return source;
  }

  listSources(): Promise<SourceRecord[]> {
    return this.store.listSources();
  }

  async putSource(source: SourceRecord): Promise<void> {
    await this.store.putSource(source);
    await this.redis.hset(this.hashKey, source.id, JSON.stringify(source));
  }
}
