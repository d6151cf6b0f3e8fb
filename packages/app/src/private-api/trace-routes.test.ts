import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLogger, type EventRecord, type RecordStore } from '@inflow/core';
import { Router } from '@inflow/edge';
import { RedisTraceStore } from '../../../workers/src/distributed/redis/redis-trace-store.js';
import { MemoryTraceStore } from '../../../workers/src/memory/memory-trace-store.js';
import { withTraceRoutes } from './trace-routes.js';

const event = { id: 'kept', type: 'signup', receivedAt: '2026-11-29T10:00:00.000Z', profileId: 'ada', sessionId: 's1', requestId: 'r1' } as EventRecord;
const store = { getEvent: (id: string) => Promise.resolve(id === event.id ? event : null) } as unknown as RecordStore;

async function get(router: Router, path: string, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const reply = await router.handle({ method: 'GET', path, query, headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' });
  return { status: reply.status, body: JSON.parse(String(reply.body)) as Record<string, unknown> };
}

describe('the trace routes', () => {
  const trace = new MemoryTraceStore({ maxEntries: 1_000, ttlMs: 3_600_000 });
  const router = withTraceRoutes(new Router(), { trace, store, ttlSeconds: 3_600 });

  it('answers an event the store has but the trace no longer knows with one entry made from its record', async () => {
    expect(await get(router, '/events/kept/trace')).toEqual({
      status: 200,
      body: {
        entries: [
          {
            at: '2026-11-29T10:00:00.000Z',
            stage: 'stored',
            role: 'store',
            requestId: 'r1',
            profileId: 'ada',
            eventIds: ['kept'],
            detail: { synthetic: true, note: 'no trace entries left (kept 3600 s): made from the stored event, timed when the edge received it', type: 'signup', sessionId: 's1' },
          },
        ],
      },
    });
    const missing = await get(router, '/events/never/trace');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: 'no trace of event "never" (and the store does not have it): never seen, or its entries are gone (traces are kept for traceTtlSeconds, 3600 s)' } });
  });

  it('answers a profile\'s newest entries, 50 by default and at most 1000', async () => {
    const at = Date.now();
    await trace.append(Array.from({ length: 1_005 }, (_, i) => ({ at: at + i, stage: 'stored' as const, role: 'collector', profileId: 'busy' })));
    const count = async (query: string): Promise<number> => ((await get(router, '/profiles/busy/trace', query)).body['entries'] as unknown[]).length;
    expect(await count('')).toBe(50);
    expect(await count('limit=3')).toBe(3);
    expect(await count('limit=5000')).toBe(1_000);
  });

  it('answers 503 with Retry-After, never 500, when the trace\'s Redis cannot be reached', async () => {
    const away = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    away.on('error', () => undefined);
    const blind = withTraceRoutes(new Router(), {
      trace: new RedisTraceStore({ redis: away, keyPrefix: 'nowhere', ttlSeconds: 900, profileEntries: 10, logger: createLogger({ level: 'error', format: 'text' }) }),
      store,
      ttlSeconds: 900,
    });
    for (const path of ['/events/kept/trace', '/requests/r1/trace', '/profiles/ada/trace']) {
      const reply = await blind.handle({ method: 'GET', path, query: '', headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' });
      expect(reply.status, path).toBe(503);
      expect(reply.headers?.['retry-after']).toBe('5');
      expect(JSON.parse(String(reply.body))).toMatchObject({ error: { code: 'service_unavailable' } });
    }
    away.disconnect();
  });
});
