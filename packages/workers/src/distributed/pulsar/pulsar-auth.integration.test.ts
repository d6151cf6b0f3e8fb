import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, isQueueUnavailable, type TopicRef } from '@inflow/core';
import { signPulsarToken } from '../../../../../scripts/stack/pulsar-token.mjs';
import { requiredEnv, stackPulsarHeaders } from '../../test-support/services.js';
import { BrokerConnection } from './binary/broker-connection.js';
import { Command } from './binary/commands.js';
import { PulsarToken } from './pulsar-auth.js';
import { PulsarQueue } from './pulsar-queue.js';

// The stack's Pulsar requires token authentication (scripts/stack/services.mjs): every other
// Pulsar test goes through it with the stack's token; these check what happens without one,
// with a wrong one, with one read from a file that changes, and with one that expires.
const TRANSPORTS: Array<[string, string | undefined]> = [
  ['the WebSocket API', undefined],
  ['the binary protocol', requiredEnv('INFLOW_PULSAR_SERVICE_URL')],
];
const dir = mkdtempSync(join(tmpdir(), 'inflow-pulsar-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openQueue(serviceUrl: string | undefined, topics: TopicRef[], auth: PulsarToken | undefined, sink: (line: string) => void = () => undefined, tenant = 'inflow-it'): PulsarQueue {
  return new PulsarQueue({
    webServiceUrl: requiredEnv('INFLOW_PULSAR_URL'),
    ...(serviceUrl ? { serviceUrl } : {}),
    tenant,
    topics: topics.map((topic) => ({ topic, subscription: 'auth-check' })),
    partitions: 1,
    producerConnections: 1,
    sendTimeoutMs: 2_000,
    receiverQueueSize: 10,
    auth,
    logger: createLogger({ level: 'warn', format: 'text', sink }),
  });
}

describe.each(TRANSPORTS)('Pulsar token authentication over %s', (_transport, serviceUrl) => {
  const run = `a${serviceUrl ? 'b' : 'w'}${Date.now().toString(36)}`;
  const topic: TopicRef = { namespace: `it-${run}`, name: 'payloads' };

  it('without a token: the admin API and the producer are refused, and the error says what to set', async () => {
    const lines: string[] = [];
    const queue = openQueue(serviceUrl, [topic], undefined, (line) => lines.push(line));
    try {
      await expect(queue.init()).rejects.toThrow(/401 Error 401 Authentication required \(Pulsar requires authentication: set INFLOW_PULSAR_TOKEN/);
      const sent = await queue.producer(topic).send([{ key: 'k', data: Buffer.from('x') }]).catch((error: unknown) => error);
      expect(isQueueUnavailable(sent)).toBe(true);
      // The transport's own refusal (the WebSocket upgrade's 401, the binary handshake's AuthenticationError) is logged with the hint.
      expect(lines.join('\n')).toMatch(serviceUrl ? /AuthenticationError .*Pulsar requires authentication/ : /the broker answered 401 \(Pulsar requires authentication/);
    } finally {
      await queue.close();
    }
  });

  it('with a token the cluster did not sign: refused, and the error says the token was not accepted', async () => {
    const lines: string[] = [];
    const forged = PulsarToken.from({ token: signPulsarToken({ sub: 'inflow' }).replace(/\.[^.]+$/, '.AAAA') });
    const queue = openQueue(serviceUrl, [topic], forged, (line) => lines.push(line));
    try {
      await expect(queue.init()).rejects.toThrow(/Pulsar did not accept the token/);
      const sent = await queue.producer(topic).send([{ key: 'k', data: Buffer.from('x') }]).catch((error: unknown) => error);
      expect(isQueueUnavailable(sent)).toBe(true);
      expect(lines.join('\n')).toMatch(/did not accept the token/);
    } finally {
      await queue.close();
    }
  });

  it('reads the token from a file, and uses a replaced file from the next connection on', async () => {
    const file = join(dir, `${run}.token`);
    writeFileSync(file, 'not-a-token\n');
    const queue = openQueue(serviceUrl, [topic], PulsarToken.from({ tokenFile: file }));
    try {
      await expect(queue.init()).rejects.toThrow(/Pulsar did not accept the token/);
      // A mounted secret is replaced: same path, new content.
      writeFileSync(file, `${requiredEnv('INFLOW_PULSAR_TOKEN')}\n`);
      await queue.init();
      await queue.producer(topic).send([{ key: 'k1', data: Buffer.from('through the token file') }]);
      const consumer = queue.consumer(topic, { subscription: 'auth-check', maxRedeliveries: 3, redeliveryDelayMs: 100 });
      const got = await consumer.receive(1, 10_000);
      expect(got.map((message) => Buffer.from(message.data).toString())).toEqual(['through the token file']);
      await consumer.ack(got);
      await consumer.close();
    } finally {
      await queue.close();
    }
  });
});

describe.each(TRANSPORTS)('a role that is not a super-user (authorization on), over %s', (_transport, serviceUrl) => {
  const run = `r${serviceUrl ? 'b' : 'w'}${Date.now().toString(36)}`;
  const tenant = `inflow-ta-${run}`;
  const topic: TopicRef = { namespace: 'collector', name: 'payloads' };

  it("works in a tenant it administers, made beforehand by a super-user; another role is refused with the reason", async () => {
    // What an operator does once: the tenant, with Inflow's role as its admin.
    const created = await fetch(`${requiredEnv('INFLOW_PULSAR_URL')}/admin/v2/tenants/${tenant}`, {
      method: 'PUT',
      headers: { ...stackPulsarHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ adminRoles: [`admin-${run}`], allowedClusters: ['standalone'] }),
    });
    expect(created.status).toBe(204);
    const admin = openQueue(serviceUrl, [topic], PulsarToken.from({ token: signPulsarToken({ sub: `admin-${run}` }) }), undefined, tenant);
    const stranger = openQueue(serviceUrl, [topic], PulsarToken.from({ token: signPulsarToken({ sub: `stranger-${run}` }) }), undefined, tenant);
    try {
      // Namespaces, partitioned topics and subscriptions made by the tenant's admin.
      await admin.init();
      await admin.producer(topic).send([{ key: 'k', data: Buffer.from('from a tenant admin') }]);
      const consumer = admin.consumer(topic, { subscription: 'auth-check', maxRedeliveries: 3, redeliveryDelayMs: 100 });
      const got = await consumer.receive(1, 10_000);
      expect(got.map((message) => Buffer.from(message.data).toString())).toEqual(['from a tenant admin']);
      await consumer.ack(got);
      await consumer.close();
      // The tenant's admin may set its namespaces' policies: acknowledgements are persisted as they come.
      const policy = await fetch(`${requiredEnv('INFLOW_PULSAR_URL')}/admin/v2/namespaces/${tenant}/${topic.namespace}/persistence`, { headers: stackPulsarHeaders() });
      expect(await policy.json()).toMatchObject({ managedLedgerMaxMarkDeleteRate: 0 });
      await expect(stranger.init()).rejects.toThrow(/the token's role is not allowed to do this/);
    } finally {
      await Promise.all([admin.close(), stranger.close()]);
    }
  });
});

describe("a binary connection whose token expires (the broker's AUTH_CHALLENGE)", () => {
  const serviceUrl = requiredEnv('INFLOW_PULSAR_SERVICE_URL');
  const expiringIn = (seconds: number): string => signPulsarToken({ sub: 'inflow', exp: Math.floor(Date.now() / 1000) + seconds });
  const partitionsOf = (connection: BrokerConnection): Promise<unknown> =>
    connection.request(Command.PARTITIONED_METADATA, 2, (command) => command.string(1, 'persistent://public/default/inflow-auth-check'));

  it('stays open when the file holds a new token by then, and is closed by the broker when it does not', async () => {
    const renewed = join(dir, 'renewed.token');
    const stale = join(dir, 'stale.token');
    writeFileSync(renewed, expiringIn(3));
    writeFileSync(stale, expiringIn(3));
    const open = (file: string): Promise<BrokerConnection> => BrokerConnection.open(new URL(serviceUrl), serviceUrl, undefined, PulsarToken.from({ tokenFile: file }));
    const [kept, dropped] = await Promise.all([open(renewed), open(stale)]);
    try {
      await Promise.all([partitionsOf(kept), partitionsOf(dropped)]);
      writeFileSync(renewed, expiringIn(3_600));
      // The broker looks every 3 s (the stack's authenticationRefreshCheckSeconds) once the tokens expired at 3 s.
      const until = Date.now() + 15_000;
      while (dropped.isOpen && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(dropped.isOpen).toBe(false);
      expect(kept.isOpen).toBe(true);
      await partitionsOf(kept);
    } finally {
      kept.close('test done');
      dropped.close('test done');
    }
  }, 30_000);
});

describe('the binary protocol at start', () => {
  it('refusing a token the admin API took (as a proxy may): init fails at once, no outage to wait out', async () => {
    // The admin API gets the stack's token, the handshake a forged one.
    const split = PulsarToken.from({ token: requiredEnv('INFLOW_PULSAR_TOKEN') }) as PulsarToken;
    const forged = signPulsarToken({ sub: 'inflow' }).replace(/\.[^.]+$/, '.AAAA');
    const good = split.headers();
    Object.assign(split, { value: () => forged, headers: () => good });
    const serviceUrl = requiredEnv('INFLOW_PULSAR_SERVICE_URL');
    const queue = openQueue(serviceUrl, [{ namespace: `it-ab${Date.now().toString(36)}`, name: 'payloads' }], split);
    try {
      const refused = await queue.init().then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(/pulsar's binary protocol at pulsar:\/\/.*AuthenticationError.*did not accept the token/);
      // Not an outage: a start stops here instead of trying again.
      expect(isQueueUnavailable(refused)).toBe(false);
    } finally {
      await queue.close();
    }
  });
});
