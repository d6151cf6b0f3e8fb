import type { Redis } from 'ioredis';
import { errorMessage, type InstanceSnapshot, type Logger, type StatsBoard } from '@inflow/core';

export interface RedisStatsBoardOptions {
  redis: Redis;
  /** The board is the hash `{keyPrefix}:stats`. */
  keyPrefix: string;
  /** How long an instance counts after its last snapshot. */
  ttlMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Every instance's latest snapshot in one Redis hash (field = instance, value = the snapshot
 * as JSON). Redis 7.0 has no expiry per field, so a field's age is its snapshot's `at`: a read
 * (one HGETALL) leaves out and deletes what is older than the time to live; the hash itself
 * expires when no instance publishes any more. Publishing is one pipeline: HSET and PEXPIRE.
 * The instances' clocks must agree within the time to live (NTP is plenty).
 */
export class RedisStatsBoard implements StatsBoard {
  readonly #key: string;
  readonly #now: () => number;

  constructor(private readonly options: RedisStatsBoardOptions) {
    this.#key = `${options.keyPrefix}:stats`;
    this.#now = options.now ?? Date.now;
  }

  async publish(snapshot: InstanceSnapshot): Promise<void> {
    const results = await this.options.redis
      .pipeline()
      .hset(this.#key, snapshot.instance, JSON.stringify(snapshot))
      .pexpire(this.#key, this.options.ttlMs)
      .exec();
    const failed = (results ?? []).find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async read(): Promise<InstanceSnapshot[]> {
    const fields = await this.options.redis.hgetall(this.#key);
    const oldest = this.#now() - this.options.ttlMs;
    const live: InstanceSnapshot[] = [];
    const gone: string[] = [];
    for (const [instance, value] of Object.entries(fields)) {
      const snapshot = parseSnapshot(value);
      if (snapshot && snapshot.at >= oldest) live.push(snapshot);
      else gone.push(instance);
    }
    if (gone.length > 0) {
      // Not awaited: the answer does not depend on it, and the next read tries again.
      this.options.redis.hdel(this.#key, ...gone).catch((error: unknown) => this.options.logger.warn(`stats board: stale instances not removed: ${errorMessage(error)}`));
    }
    return live.sort((a, b) => a.instance.localeCompare(b.instance));
  }

  /** The connection is the engine's to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function parseSnapshot(value: string): InstanceSnapshot | undefined {
  try {
    const snapshot = JSON.parse(value) as InstanceSnapshot;
    return typeof snapshot.at === 'number' && typeof snapshot.instance === 'string' ? snapshot : undefined;
  } catch {
    return undefined;
  }
}
