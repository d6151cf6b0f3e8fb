import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InfrastructureError, QueueUnavailableError } from '@inflow/core';
import type { HttpRequest } from '@inflow/edge';
import { PulsarAdmin } from '../../../workers/src/distributed/pulsar/pulsar-admin.js';
import { outagesAs503 } from './unavailable.js';

const request: HttpRequest = { method: 'GET', path: '/queue/collector/payloads/backlog', query: '', headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' };

describe('outages on the private API', () => {
  it('answers 503 with Retry-After, naming the service, when the queue, the store or the cache cannot be reached; a bug stays a failure', async () => {
    const queue = await outagesAs503(() => Promise.reject(new QueueUnavailableError('pulsar admin GET …: fetch failed', 5)))(request);
    expect([queue.status, queue.headers?.['retry-after']]).toEqual([503, '5']);
    expect(JSON.parse(String(queue.body))).toMatchObject({ error: { code: 'queue_unavailable', message: expect.stringContaining('fetch failed') as string } });
    const store = await outagesAs503(() => Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED')))(request);
    expect(store.status).toBe(503);
    expect(JSON.parse(String(store.body))).toMatchObject({ error: { code: 'service_unavailable', message: expect.stringContaining('the store') as string } });
    await expect(outagesAs503(() => Promise.reject(new TypeError('a bug')))(request)).rejects.toThrow('a bug');
  });

  it("takes Pulsar's admin port not answering for an outage of the queue", async () => {
    // A port that was just free: nothing listens there, the connection is refused at once.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    const admin = new PulsarAdmin(`http://127.0.0.1:${port}`, 2_000);
    const failure: unknown = await admin.backlog('persistent/t/ns/topic', 'persistent://t/ns/topic').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueueUnavailableError);
    expect((failure as Error).message).toMatch(/pulsar admin GET .*ECONNREFUSED/);
  });
});
