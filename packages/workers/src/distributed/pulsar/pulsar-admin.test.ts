import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
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

  it('leaves the acknowledgement rate alone, saying why, when the brokers will not tell their default policy (topic policies turned off: 405)', async () => {
    const asked: string[] = [];
    const server = createHttpServer((request, response) => {
      asked.push(`${request.method} ${request.url}`);
      // No policy of the namespace's own (an empty answer); topic policies refused.
      if (request.url?.endsWith('/persistence?applied=true')) response.writeHead(405).end('{"reason":"Topic level policies is disabled"}');
      else response.writeHead(200).end();
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const admin = new PulsarAdmin(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 2_000);
      const outcome = await admin.persistAcksPromptly('t', 'ns', 'persistent/t/ns/topic');
      expect(outcome).toEqual({ prompt: false, rate: undefined, reason: expect.stringMatching(/default persistence policy cannot be read \(405: .*Topic level policies is disabled/) });
      // Nothing was written.
      expect(asked).toEqual(['GET /admin/v2/namespaces/t/ns/persistence', 'GET /admin/v2/persistent/t/ns/topic/persistence?applied=true']);
    } finally {
      server.close();
    }
  });
});
