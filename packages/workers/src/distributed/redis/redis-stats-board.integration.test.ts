import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@inflow/core';
import { requiredEnv } from '../../test-support/services.js';
import { statsBoardContract } from '../../test-support/stats-board-contract.js';
import { RedisStatsBoard } from './redis-stats-board.js';

const prefix = `rb${Date.now().toString(36)}`;
const logger = createLogger({ level: 'error', format: 'text' });

describe('RedisStatsBoard on a real Redis', () => {
  let redis: Redis;
  let boards = 0;
  beforeAll(() => {
    redis = new Redis(requiredEnv('INFLOW_REDIS_URL'));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    redis.disconnect();
  });

  statsBoardContract(async (ttlMs, now) => new RedisStatsBoard({ redis, keyPrefix: `${prefix}-${++boards}`, ttlMs, logger, now }));

  it('is one hash that expires when nobody publishes, and drops stale instances from it', async () => {
    let now = Date.now();
    const board = new RedisStatsBoard({ redis, keyPrefix: `${prefix}-hash`, ttlMs: 15_000, logger, now: () => now });
    await board.publish({ instance: 'edge@1', role: 'edge', at: now - 20_000, counters: {}, gauges: {} });
    await board.publish({ instance: 'edge@2', role: 'edge', at: now, counters: { 'edge.requests.accepted': 4 }, gauges: {} });
    const ttl = await redis.pttl(`${prefix}-hash:stats`);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
    expect((await board.read()).map((s) => s.instance)).toEqual(['edge@2']);
    now += 1;
    await expect.poll(() => redis.hkeys(`${prefix}-hash:stats`)).toEqual(['edge@2']);
  });
});
