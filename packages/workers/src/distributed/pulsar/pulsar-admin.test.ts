import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '@inflow/core';
import { PulsarAdmin } from './pulsar-admin.js';

describe('PulsarAdmin', () => {
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
