import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, isQueueUnavailable, type QueueConsumer, type QueueMessage, type TopicRef } from '@inflow/core';
import { requiredEnv, stackPulsarAuth, stackPulsarHeaders } from '../../test-support/services.js';
import { PulsarAdmin } from './pulsar-admin.js';
import { PulsarQueue } from './pulsar-queue.js';

/** Both transports of producers and consumers: the WebSocket API and the binary protocol. */
const TRANSPORTS: Array<[string, string | undefined]> = [
  ['the WebSocket API', undefined],
  ['the binary protocol', requiredEnv('INFLOW_PULSAR_SERVICE_URL')],
];
const text = (m: QueueMessage): string => Buffer.from(m.data).toString();

async function drain(consumer: QueueConsumer, count: number, ms = 15_000): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const until = Date.now() + ms;
  while (got.length < count && Date.now() < until) got.push(...(await consumer.receive(count - got.length, 200)));
  return got;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

function openQueue(serviceUrl: string | undefined, topics: TopicRef[], extra: { stallCheckMs?: number; sink?: (line: string) => void; ordered?: boolean; partitionCheckMs?: number; partitions?: number; transport?: 'binary' } = {}): PulsarQueue {
  return new PulsarQueue({
    webServiceUrl: requiredEnv('INFLOW_PULSAR_URL'),
    ...(serviceUrl ? { serviceUrl } : {}),
    ...(extra.transport ? { transport: extra.transport } : {}),
    tenant: 'inflow-it',
    topics: topics.map((t) => ({ topic: t, ordered: extra.ordered ?? true })),
    partitions: extra.partitions ?? 3,
    ...(extra.partitionCheckMs ? { partitionCheckMs: extra.partitionCheckMs } : {}),
    producerConnections: 2,
    sendTimeoutMs: 5_000,
    receiverQueueSize: 100,
    stallCheckMs: extra.stallCheckMs ?? 0,
    auth: stackPulsarAuth(),
    logger: createLogger({ level: 'warn', format: 'text', ...(extra.sink ? { sink: extra.sink } : {}) }),
  });
}

describe.each(TRANSPORTS)('PulsarQueue over %s against a real Pulsar', (_transport, serviceUrl) => {
  const run = `t${serviceUrl ? 'b' : 'w'}${Date.now().toString(36)}`;
  const topic: TopicRef = { namespace: `it-${run}`, name: 'payloads' };
  const sharedTopic: TopicRef = { namespace: `it-${run}`, name: 'shared' };
  const nackTopic: TopicRef = { namespace: `it-${run}`, name: 'nacked' };
  const open = (topics: TopicRef[], extra: Parameters<typeof openQueue>[2] = {}): PulsarQueue => openQueue(serviceUrl, topics, extra);
  let queue: PulsarQueue;
  beforeAll(async () => {
    queue = open([topic, sharedTopic, nackTopic]);
    await queue.init();
  });

  it('is healthy once its producers are connected', async () => {
    queue.producer(topic);
    await queue.ready(10_000);
    expect(queue.healthy()).toBe(true);
  });
  afterAll(() => queue.close());

  it('keeps a per-partition backlog until messages are acknowledged, and delivers each key in order', async () => {
    const subscription = `order-${run}`;
    const consumer = queue.consumer(topic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
    await consumer.close(); // the subscription exists now and holds what is sent next

    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 6}`, data: Buffer.from(`${i % 6}:${i}`) }));
    await queue.producer(topic).send(messages);
    const backlog = await eventually(() => queue.backlog(topic), (b) => (b?.total ?? 0) >= 60);
    expect(backlog?.total).toBe(60);
    const rows = backlog?.backlog.filter((row) => row.subscription === subscription) ?? [];
    expect(rows.map((row) => row.partition)).toEqual([0, 1, 2].map((i) => `persistent://inflow-it/${topic.namespace}/payloads-partition-${i}`));
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(60);

    const again = queue.consumer(topic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    const got = await drain(again, 60);
    expect(got).toHaveLength(60);
    for (let key = 0; key < 6; key++) {
      const sequence = got.filter((m) => m.key === `k${key}`).map((m) => Number(text(m).split(':')[1]));
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }
    await again.ack(got);
    const after = await eventually(() => queue.backlog(topic), (b) => (b?.backlog.filter((r) => r.subscription === subscription).reduce((s, r) => s + r.count, 0) ?? 1) === 0);
    expect(after?.backlog.filter((r) => r.subscription === subscription).every((r) => r.count === 0)).toBe(true);
    await again.close();
  });

  it('shares a subscription between two consumers without delivering a message twice', async () => {
    const subscription = `shared-${run}`;
    const a = queue.consumer(sharedTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    const b = queue.consumer(sharedTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    await Promise.all([a, b].map((c) => (c as unknown as { whenOpen(): Promise<void> }).whenOpen()));
    await queue.producer(sharedTopic).send(Array.from({ length: 100 }, (_, i) => ({ key: `user-${i % 20}`, data: Buffer.from(String(i)) })));
    const seen: string[] = [];
    const perConsumer = [0, 0];
    const until = Date.now() + 20_000;
    while (seen.length < 100 && Date.now() < until) {
      for (const [index, consumer] of [a, b].entries()) {
        const batch = await consumer.receive(50, 100);
        perConsumer[index] = (perConsumer[index] ?? 0) + batch.length;
        seen.push(...batch.map(text));
        await consumer.ack(batch);
      }
    }
    expect(seen.sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(perConsumer.every((n) => n > 0)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('redelivers negatively acknowledged messages, then dead-letters them with the reason', async () => {
    const subscription = `nack-${run}`;
    const consumer = queue.consumer(nackTopic, { subscription, maxRedeliveries: 1, redeliveryDelayMs: 100 });
    await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
    await queue.producer(nackTopic).send([{ key: 'bad', data: Buffer.from('poison-pill') }]);
    const [first] = await drain(consumer, 1);
    expect(first?.redeliveryCount).toBe(0);
    // A reason in any script survives the broker's HTTP headers (Latin-1 on the wire).
    const reason = 'cannot parse «Grüße» 名前 🙂';
    await consumer.nack([first!], reason);
    const [second] = await drain(consumer, 1);
    expect(text(second!)).toBe('poison-pill');
    expect(second?.redeliveryCount).toBe(1);
    await consumer.nack([second!], reason);
    const letters = await eventually(() => queue.deadLetters(50), (list) => list.some((l) => l.subscription === subscription));
    const letter = letters.find((l) => l.subscription === subscription);
    expect(letter).toMatchObject({ topic: `${nackTopic.namespace}/nacked`, key: 'bad', reason: `${reason} (after 2 deliveries)`, redeliveryCount: 1 });
    expect(Buffer.from(letter!.data).toString()).toBe('poison-pill');
    expect(await drain(consumer, 1, 1_500)).toEqual([]);
    await consumer.close();
  });

  it('keeps a dead letter with a 40 KB reason listable, the reason cut: one such letter made every peek of the dead letters fail', async () => {
    const subscription = `long-reason-${run}`;
    const consumer = queue.consumer(nackTopic, { subscription, maxRedeliveries: 1, redeliveryDelayMs: 100 });
    await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
    await queue.producer(nackTopic).send([{ key: 'long', data: Buffer.from('refused-by-the-store') }]);
    const [message] = await drain(consumer, 1);
    // As Elasticsearch quotes a refused value: 40,000 characters, some outside Latin-1.
    await consumer.deadLetter(message!, `400 document_parsing_exception: Preview of field's value: '${'名1'.repeat(20_000)}'`);
    const letters = await eventually(() => queue.deadLetters(50), (list) => list.some((l) => l.subscription === subscription));
    const letter = letters.find((l) => l.subscription === subscription);
    expect(letter?.reason).toMatch(/^400 document_parsing_exception: Preview of field's value: '名1名1.*… \(\d+ characters\)$/);
    expect(letter!.reason.length).toBeLessThan(600);
    await consumer.close();
  });

  it('lists dead letters with stable ids, replays one by id and then all, and forgets what it replayed', async () => {
    const deadTopic: TopicRef = { namespace: `it-${run}`, name: 'replayed' };
    const subscription = `replay-${run}`;
    // Instances that keep only this topic's dead letters, as two edges would.
    const [letters, otherEdge] = [open([deadTopic]), open([deadTopic])];
    // One after the other: creating one subscription twice at the same instant fails with 412 (subscription busy).
    await letters.init();
    await otherEdge.init();
    const consumer = queue.consumer(deadTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
      await queue.producer(deadTopic).send(['a', 'b', 'c'].map((name) => ({ key: `key-${name}`, data: Buffer.from(`letter-${name}`) })));
      for (const message of await drain(consumer, 3)) await consumer.deadLetter(message, `cannot use ${text(message)}`);

      const listed = await letters.deadLetters(50);
      expect(listed.map((l) => [l.key, Buffer.from(l.data).toString(), l.reason, l.topic]).sort()).toEqual(
        ['a', 'b', 'c'].map((name) => [`key-${name}`, `letter-${name}`, `cannot use letter-${name}`, `${deadTopic.namespace}/replayed`]),
      );
      const ids = listed.map((l) => l.id);
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) expect(id).toMatch(/^[0-9]+-[0-9]+$/);
      // Reading changes nothing, and two instances reading at once each see every letter.
      const [again, fromOther] = await Promise.all([letters.deadLetters(50), otherEdge.deadLetters(50)]);
      expect(again.map((l) => l.id)).toEqual(ids);
      expect(fromOther.map((l) => l.id).sort()).toEqual([...ids].sort());
      expect((await letters.deadLetters(2)).map((l) => l.id)).toEqual(ids.slice(0, 2));

      const idOf = (key: string): string => listed.find((l) => l.key === key)?.id ?? '';
      const [one, afterOne] = await Promise.all([letters.replayDeadLetters({ ids: [idOf('key-b')] }), letters.deadLetters(50)]);
      expect(one).toEqual({ replayed: 1, notFound: [] });
      expect(afterOne.map((l) => l.key).sort()).toEqual(['key-a', 'key-c']);
      const replayed = await drain(consumer, 2, 3_000);
      expect(replayed.map((m) => [m.key, text(m)])).toEqual([['key-b', 'letter-b']]);
      await consumer.ack(replayed);

      expect(await otherEdge.replayDeadLetters({ ids: ['bogus', idOf('key-b')] })).toEqual({ replayed: 0, notFound: ['bogus', idOf('key-b')] });
      expect(await otherEdge.replayDeadLetters({})).toEqual({ replayed: 2, notFound: [] });
      expect(await letters.deadLetters(50)).toEqual([]);
      const rest = await drain(consumer, 2);
      expect(rest.map((m) => [m.key, text(m)]).sort()).toEqual([
        ['key-a', 'letter-a'],
        ['key-c', 'letter-c'],
      ]);
      await consumer.ack(rest);
      expect(await letters.replayDeadLetters({})).toEqual({ replayed: 0, notFound: [] });
    } finally {
      await consumer.close();
      await Promise.all([letters.close(), otherEdge.close()]);
    }
  });

  it('reconnects a consumer that stays idle while its subscription has a backlog, and receives once the holder lets go', async () => {
    const stallTopic: TopicRef = { namespace: `it-${run}`, name: 'stalled' };
    const subscription = `stall-${run}`;
    const warnings: string[] = [];
    const watched = open([stallTopic], { stallCheckMs: 300, sink: (line) => warnings.push(line) });
    await watched.init();
    // Another process holds every message and never acknowledges: for this consumer the subscription looks stalled.
    const holder = queue.consumer(stallTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    await (holder as unknown as { whenOpen(): Promise<void> }).whenOpen();
    await watched.producer(stallTopic).send(Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, data: Buffer.from(`m${i}`) })));
    const held = await drain(holder, 20);
    expect(held).toHaveLength(20);
    const consumer = watched.consumer(stallTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      expect(await drain(consumer, 1, 1_500)).toEqual([]);
      await eventually(async () => warnings.join('\n'), (text) => /nothing delivered for \d+ s while the subscription has a backlog of 20; reconnecting/.test(text), 10_000);
      // The holder holds the messages: nothing is stuck in the broker, so this consumer only reconnects.
      expect(warnings.join('\n')).toMatch(/stalled \(stall-\w+\): nothing delivered/);
      expect(warnings.join('\n')).not.toMatch(/unloading/);
      const admin = new PulsarAdmin(requiredEnv('INFLOW_PULSAR_URL'), undefined, stackPulsarAuth());
      const seen = await admin.subscriptionOnPartitions(`persistent/inflow-it/${stallTopic.namespace}/stalled`, subscription);
      expect(seen.reduce((sum, p) => sum + p.backlog, 0)).toBe(20);
      expect(seen.reduce((sum, p) => sum + p.held, 0)).toBe(20);
      // The holder goes away: its messages come here, each once.
      await holder.close();
      const got = await drain(consumer, 20);
      expect(got.map(text).sort()).toEqual(held.map(text).sort());
      await consumer.ack(got);
    } finally {
      await consumer.close();
      await watched.close();
    }
  });

  it('unloads a partition: its consumer reconnects and receives what is sent next', async () => {
    const unloadTopic: TopicRef = { namespace: `it-${run}`, name: 'unloaded' };
    const subscription = `unload-${run}`;
    const own = open([unloadTopic]);
    await own.init();
    const consumer = own.consumer(unloadTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
      const admin = new PulsarAdmin(requiredEnv('INFLOW_PULSAR_URL'), undefined, stackPulsarAuth());
      for (let i = 0; i < 3; i++) await admin.unload(`persistent://inflow-it/${unloadTopic.namespace}/unloaded-partition-${i}`);
      await own.producer(unloadTopic).send(Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, data: Buffer.from(`u${i}`) })));
      const got = await drain(consumer, 9);
      expect(got.map(text).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `u${i}`));
      await consumer.ack(got);
    } finally {
      await consumer.close();
      await own.close();
    }
  });

  it('reads messages a batching producer put several to an entry, or dead-letters them with the reason where the transport cannot unpack them', async () => {
    const batchedTopic: TopicRef = { namespace: `it-${run}`, name: 'batched' };
    const subscription = `batched-${run}`;
    // The WebSocket API's producer batches on a topic declared unordered: several messages share one entry.
    const batching = openQueue(undefined, [batchedTopic], { ordered: false });
    await batching.init();
    const consumer = queue.consumer(batchedTopic, { subscription, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
      await batching.producer(batchedTopic).send(Array.from({ length: 30 }, (_, i) => ({ key: 'same', data: Buffer.from(`b${i}`) })));
      if (!serviceUrl) {
        const got = await drain(consumer, 30);
        expect(got.map(text).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `b${i}`).sort());
        await consumer.ack(got);
        return;
      }
      // An entry of several messages is never handed out as one message: it is dead-lettered whole, with its reason.
      // The producer may also flush a message alone (an entry of one, not a batch): that one is delivered as usual.
      // Either way every one of the 30 is accounted for.
      const delivered: QueueMessage[] = [];
      const inLetters = (letters: Awaited<ReturnType<typeof batching.deadLetters>>): number =>
        letters.filter((l) => l.subscription === subscription).reduce((sum, l) => sum + Number(/^a batch of (\d+) messages/.exec(l.reason)?.[1] ?? 0), 0);
      const letters = await eventually(
        async () => {
          delivered.push(...(await consumer.receive(30, 100)));
          return batching.deadLetters(200);
        },
        (list) => delivered.length + inLetters(list) >= 30,
      );
      const mine = letters.filter((l) => l.subscription === subscription);
      expect(mine.length).toBeGreaterThan(0);
      for (const letter of mine) expect(letter.reason).toMatch(/^a batch of \d+ messages from a batching producer/);
      expect(delivered.length + inLetters(letters)).toBe(30);
      // What was delivered are whole messages of their own, each one of those sent.
      for (const message of delivered) expect(text(message)).toMatch(/^b\d+$/);
      await consumer.ack(delivered);
    } finally {
      await consumer.close();
      await batching.close();
    }
  });

  it('reports unknown topics as null', async () => {
    expect(await queue.backlog({ namespace: topic.namespace, name: 'nothing-here' })).toBeNull();
  });

  it('refuses sends with a retryable error when Pulsar cannot be reached', async () => {
    const nowhere = new PulsarQueue({
      webServiceUrl: 'http://127.0.0.1:9',
      ...(serviceUrl ? { serviceUrl: 'pulsar://127.0.0.1:9' } : {}),
      tenant: 'x',
      topics: [],
      partitions: 1,
      producerConnections: 1,
      sendTimeoutMs: 500,
      receiverQueueSize: 10,
      logger: createLogger({ level: 'error', format: 'text', sink: () => undefined }),
    });
    const error = await nowhere.producer(topic).send([{ key: 'k', data: Buffer.from('x') }]).catch((e: unknown) => e);
    expect(isQueueUnavailable(error)).toBe(true);
    expect(nowhere.healthy()).toBe(false);
    await nowhere.close();
  });
});

describe("the subscriptions' acknowledgements on a real Pulsar", () => {
  const run = `a${Date.now().toString(36)}`;
  const namespaces = `${requiredEnv('INFLOW_PULSAR_URL')}/admin/v2/namespaces/inflow-it`;
  const policyOf = async (namespace: string): Promise<unknown> => (await fetch(`${namespaces}/${namespace}/persistence`, { headers: stackPulsarHeaders() })).json();

  it("are persisted as they come once a queue started: the namespace's policy gets mark-delete rate 0, with the brokers' quorums or its own", async () => {
    const fresh: TopicRef = { namespace: `acks-${run}`, name: 'payloads' };
    const tuned: TopicRef = { namespace: `acks-own-${run}`, name: 'payloads' };
    // A namespace with a policy of its own, as an operator may set: its rate goes, the rest stays.
    expect((await fetch(`${namespaces}/${tuned.namespace}`, { method: 'PUT', headers: stackPulsarHeaders() })).status).toBe(204);
    const own = { bookkeeperEnsemble: 1, bookkeeperWriteQuorum: 1, bookkeeperAckQuorum: 1, managedLedgerMaxMarkDeleteRate: 5 };
    const set = await fetch(`${namespaces}/${tuned.namespace}/persistence`, { method: 'POST', headers: { ...stackPulsarHeaders(), 'content-type': 'application/json' }, body: JSON.stringify(own) });
    expect(set.status).toBe(204);
    const lines: string[] = [];
    const queue = openQueue(undefined, [fresh, tuned], { sink: (line) => lines.push(line) });
    try {
      await queue.init();
      // Pulsar standalone's defaults: one bookie, and positions persisted at most once in 10 s.
      expect(await policyOf(fresh.namespace)).toEqual({ bookkeeperEnsemble: 1, bookkeeperWriteQuorum: 1, bookkeeperAckQuorum: 1, managedLedgerMaxMarkDeleteRate: 0 });
      expect(await policyOf(tuned.namespace)).toEqual({ ...own, managedLedgerMaxMarkDeleteRate: 0 });
      // Starting again finds it done.
      await queue.init();
      expect(lines.filter((line) => / WARN /.test(line))).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});

describe('the binary and the WebSocket transports side by side on a real Pulsar', () => {
  const run = `x${Date.now().toString(36)}`;
  const binaryUrl = requiredEnv('INFLOW_PULSAR_SERVICE_URL');
  const partitionOf = (message: QueueMessage): number => Number(message.id.split(':')[0]);

  it('route a key to the same partition, so one profile stays in order whichever transport an edge uses', async () => {
    const topic: TopicRef = { namespace: `it-${run}`, name: 'routed' };
    const [binary, websocket] = [openQueue(binaryUrl, [topic]), openQueue(undefined, [topic])];
    await binary.init();
    const consumer = binary.consumer(topic, { subscription: `routed-${run}`, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
      const keys = Array.from({ length: 24 }, (_, i) => `profile-${i}`);
      await binary.producer(topic).send(keys.map((key) => ({ key, data: Buffer.from(`binary:${key}`) })));
      await websocket.producer(topic).send(keys.map((key) => ({ key, data: Buffer.from(`websocket:${key}`) })));
      const got = await drain(consumer, 48);
      expect(got).toHaveLength(48);
      const where = (transport: string): Map<string, number> => new Map(got.filter((m) => text(m).startsWith(`${transport}:`)).map((m) => [m.key, partitionOf(m)]));
      const [byBinary, byWebsocket] = [where('binary'), where('websocket')];
      expect(byBinary.size).toBe(24);
      expect([...byBinary.entries()].sort()).toEqual([...byWebsocket.entries()].sort());
      expect(new Set(byBinary.values()).size).toBe(3);
      await consumer.ack(got);
    } finally {
      await consumer.close();
      await Promise.all([binary.close(), websocket.close()]);
    }
  });

  it('finds the brokers\' binary address in the cluster\'s metadata when none is given', async () => {
    expect(await new PulsarAdmin(requiredEnv('INFLOW_PULSAR_URL'), undefined, stackPulsarAuth()).brokerServiceUrl()).toBe(binaryUrl);
    const topic: TopicRef = { namespace: `it-${run}`, name: 'found' };
    // Binary, with no service URL: the queue asks the admin API for it.
    const found = openQueue(undefined, [topic], { transport: 'binary', partitions: 2 });
    await found.init();
    const consumer = found.consumer(topic, { subscription: `found-${run}`, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
      await found.producer(topic).send([{ key: 'k', data: Buffer.from('found') }]);
      const got = await drain(consumer, 1);
      expect(got.map(text)).toEqual(['found']);
      // Binary message ids are partition:ledger:entry (the WebSocket API's are base64).
      expect(got[0]?.id).toMatch(/^\d+:\d+:\d+$/);
      await consumer.ack(got);
    } finally {
      await consumer.close();
      await found.close();
    }
  });

  it('picks up partitions added to a topic while running: producers spread keys over them, consumers receive from them', async () => {
    const topic: TopicRef = { namespace: `it-${run}`, name: 'grown' };
    const running = openQueue(binaryUrl, [topic], { partitions: 2, partitionCheckMs: 300 });
    await running.init();
    const consumer = running.consumer(topic, { subscription: `grown-${run}`, maxRedeliveries: 3, redeliveryDelayMs: 100 });
    try {
      await (consumer as unknown as { whenOpen(): Promise<void> }).whenOpen();
      const producer = running.producer(topic);
      await producer.send([{ key: 'before', data: Buffer.from('before') }]);
      // A newer instance asks for 4 partitions: its init adds two.
      const newer = openQueue(binaryUrl, [topic], { partitions: 4 });
      await newer.init();
      await newer.close();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      await producer.send(keys.map((key) => ({ key, data: Buffer.from(key) })));
      const got = await drain(consumer, 41);
      expect(got.map(text).sort()).toEqual(['before', ...keys].sort());
      expect(new Set(got.map(partitionOf))).toEqual(new Set([0, 1, 2, 3]));
      await consumer.ack(got);
    } finally {
      await consumer.close();
      await running.close();
    }
  });
});
