import type { Redis } from 'ioredis';
import type { SourceRecord, SourceStore } from '@inflow/core';

/**
 * How long a listing written into Redis counts as the whole list without asking the store again:
 * every change goes through putSource (store, then Redis), so this only bounds how long a change
 * whose Redis write failed can stay missing from listings.
 */
const LISTING_TTL_SECONDS = 24 * 60 * 60;

/**
 * Sources through Redis: edges read a source, and the list of sources (for CORS), from one Redis
 * hash instead of Elasticsearch, and every change is written to both. The store is authoritative:
 * a source missing from the hash is read from it; the hash answers listings only while a marker
 * says a listing from the store was written into it (gone with the hash when Redis loses its data).
 * What is read from the store is written with HSETNX, so a read that raced a change never puts an
 * older copy over the one the change wrote.
 */
export class RedisSourceCache implements SourceStore {
  private readonly listedKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly store: SourceStore,
    private readonly hashKey: string,
  ) {
    this.listedKey = `${hashKey}:listed`;
  }

  async getSource(id: string): Promise<SourceRecord | null> {
    const cached = await this.redis.hget(this.hashKey, id);
    if (cached) return JSON.parse(cached) as SourceRecord;
    const source = await this.store.getSource(id);
    if (source) await this.redis.hsetnx(this.hashKey, id, JSON.stringify(source));
    return source;
  }

  async listSources(): Promise<SourceRecord[]> {
    const [listed, cached] = await Promise.all([this.redis.exists(this.listedKey), this.redis.hgetall(this.hashKey)]);
    // By id, as the store lists them.
    if (listed === 1) return Object.values(cached).map((text) => JSON.parse(text) as SourceRecord).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const sources = await this.store.listSources();
    const fill = this.redis.pipeline();
    for (const source of sources) fill.hsetnx(this.hashKey, source.id, JSON.stringify(source));
    fill.set(this.listedKey, '1', 'EX', LISTING_TTL_SECONDS);
    await fill.exec();
    return sources;
  }

  async putSource(source: SourceRecord): Promise<void> {
    await this.store.putSource(source);
    try {
      await this.redis.hset(this.hashKey, source.id, JSON.stringify(source));
    } catch (error) {
      // Listings must not answer from a hash that lacks this change: the next one asks the store.
      await this.redis.del(this.listedKey).catch(() => undefined);
      throw error;
    }
  }
}
