import { describe, expect, it } from 'vitest';
import { InfrastructureError, QueueUnavailableError } from '@inflow/core';
import type { HttpRequest } from '@inflow/edge';
import { outagesAs503 } from './unavailable.js';

const request: HttpRequest = { method: 'GET', path: '/queue/collector/payloads/backlog', query: '', headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' };

describe('outages on the private API', () => {
  it('answers 503 with Retry-After, naming the service, when the queue, the store or the cache cannot be reached; a bug stays a failure', async () => {
    const queue = await outagesAs503(() => Promise.reject(new QueueUnavailableError('pulsar admin GET …: fetch failed', 5)))(request);
    expect([queue.status, queue.headers?.['retry-after']]).toEqual([503, '5']);
    expect(JSON.parse(String(queue.body))).toMatchObject({ error: { code: 'queue_unavailable', message: expect.stringContaining('fetch failed') as string } });
    const store = await outagesAs503(() => Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED')))(request);
    expect(store.status).toBe(503);
    expect(JSON.parse(String(store.body))).toMatchObject({ error: { code: 'service_unavailable', message: expect.stringContaining('the store cannot be reached now') as string } });
    await expect(outagesAs503(() => Promise.reject(new TypeError('a bug')))(request)).rejects.toThrow('a bug');
  });
});
