import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@inflow/core';
import { requiredEnv } from '../../test-support/services.js';
import { traceStoreContract } from '../../test-support/trace-store-contract.js';
import { RedisTraceStore } from './redis-trace-store.js';

const prefix = `rt${Date.now().toString(36)}`;
const logger = createLogger({ level: 'error', format: 'text' });

describe('RedisTraceStore on a real Redis', () => {
  let redis: Redis;
  let stores = 0;
  beforeAll(() => {
    redis = new Redis(requiredEnv('INFLOW_REDIS_URL'));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    redis.disconnect();
  });

  // Each store on keys of its own, so the contract's ids never meet.
  traceStoreContract(async ({ ttlSeconds, profileEntries, now }) => new RedisTraceStore({ redis, keyPrefix: `${prefix}-${++stores}`, ttlSeconds, profileEntries, logger, now }));

  it('writes one append in one pipeline: one list per key, capped, with the time to live', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-layout`, ttlSeconds: 120, profileEntries: 3, keyEntries: 4, logger });
    const pipelines = vi.spyOn(redis, 'pipeline');
    const at = Date.now();
    await store.append(
      Array.from({ length: 6 }, (_, i) => ({ at: at + i, stage: 'delivered' as const, role: 'dispatch', requestId: 'r', profileId: 'p', eventIds: ['e', `e${i}`] })),
    );
    expect(pipelines).toHaveBeenCalledTimes(1);
    pipelines.mockRestore();
    const key = (kind: string, id: string): string => `${prefix}-layout:trace:${kind}:${id}`;
    expect(await redis.llen(key('p', 'p'))).toBe(3);
    expect(await redis.llen(key('r', 'r'))).toBe(4);
    expect(await redis.llen(key('e', 'e'))).toBe(4);
    expect(await redis.llen(key('e', 'e5'))).toBe(1);
    for (const k of [key('p', 'p'), key('r', 'r'), key('e', 'e'), key('e', 'e0')]) {
      const ttl = await redis.ttl(k);
      expect(ttl, k).toBeGreaterThan(100);
      expect(ttl, k).toBeLessThanOrEqual(120);
    }
    // Compact JSON, and an event's copy names that event only.
    expect(await redis.lindex(key('e', 'e0'), 0)).toBe(JSON.stringify({ at, stage: 'delivered', role: 'dispatch', requestId: 'r', profileId: 'p', eventIds: ['e0'] }));
  });

  it('never throws on append when Redis cannot be reached; reads do', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
    down.on('error', () => undefined);
    const warnings: string[] = [];
    const blind = new RedisTraceStore({
      redis: down,
      keyPrefix: prefix,
      ttlSeconds: 60,
      profileEntries: 10,
      logger: createLogger({ level: 'warn', format: 'text', sink: (line) => warnings.push(line) }),
    });
    await expect(blind.append([{ at: 1, stage: 'edge', role: 'edge', requestId: 'x' }])).resolves.toBeUndefined();
    await expect(blind.append([{ at: 2, stage: 'edge', role: 'edge', requestId: 'x' }])).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('trace of 1 entries not kept');
    await expect(blind.byRequest('x')).rejects.toThrow();
    down.disconnect();
  });
});
