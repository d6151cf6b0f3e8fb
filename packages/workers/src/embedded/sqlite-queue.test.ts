import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConsumerOptions, isQueueUnavailable, type TopicRef } from '@inflow/core';
import { tempDir } from '../test-support/fixtures.js';
import { SqliteQueue } from './sqlite-queue.js';

const topic: TopicRef = { namespace: 'collector', name: 'payloads' };
const consumerOptions: ConsumerOptions = { subscription: 'sub', maxRedeliveries: 2, redeliveryDelayMs: 10 };
const text = (data: Uint8Array): string => Buffer.from(data).toString();
const msg = (key: string, body: string) => ({ key, data: Buffer.from(body) });

describe('SqliteQueue', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function open(dir: string, maxBacklog = 1000): SqliteQueue {
    const queue = new SqliteQueue({ file: join(dir, 'queue.db'), tenant: 'inflow', maxBacklog, topics: [topic] });
    cleanups.push(() => queue.close());
    return queue;
  }

  function folder(): string {
    const { dir, remove } = tempDir('queue');
    cleanups.push(remove);
    return dir;
  }

  it('delivers in order and forgets acknowledged messages', async () => {
    const queue = open(folder());
    await queue.producer(topic).send([msg('a', '1'), msg('b', '2'), msg('a', '3')]);
    const consumer = queue.consumer(topic, consumerOptions);
    const got = await consumer.receive(10, 0);
    expect(got.map((m) => [m.key, text(m.data), m.redeliveryCount])).toEqual([
      ['a', '1', 0],
      ['b', '2', 0],
      ['a', '3', 0],
    ]);
    expect((await queue.backlog(topic))?.total).toBe(3);
    await consumer.ack(got);
    expect(await queue.backlog(topic)).toEqual({
      total: 0,
      backlog: [{ partition: 'persistent://inflow/collector/payloads', subscription: 'sub', count: 0 }],
    });
    expect(await consumer.receive(10, 0)).toEqual([]);
  });

  it('keeps what was sent and not acknowledged across a restart', async () => {
    const dir = folder();
    const first = open(dir);
    await first.producer(topic).send([msg('a', 'kept'), msg('a', 'acked')]);
    const consumer = first.consumer(topic, consumerOptions);
    const [kept, acked] = await consumer.receive(10, 0);
    await consumer.ack([acked!]);
    await first.close();

    const second = open(dir);
    expect((await second.backlog(topic))?.total).toBe(1);
    const again = await second.consumer(topic, consumerOptions).receive(10, 0);
    expect(again.map((m) => text(m.data))).toEqual(['kept']);
    expect(again[0]?.id).toBe(kept?.id);
  });

  it('hands out no more bytes than asked for, but always the first message, and keeps the order', async () => {
    const queue = open(folder());
    // 4, 4, 9, 3 and 3 bytes.
    await queue.producer(topic).send([msg('a', 'm1..'), msg('a', 'm2..'), msg('a', 'm3-large.'), msg('a', 'm4.'), msg('a', 'm5.')]);
    const consumer = queue.consumer(topic, consumerOptions);
    const bodies = async (max: number, maxBytes: number): Promise<string[]> => (await consumer.receive(max, 0, maxBytes)).map((m) => text(m.data));
    expect(await bodies(10, 9)).toEqual(['m1..', 'm2..']);
    // Larger than the budget on its own: it goes alone rather than never.
    expect(await bodies(10, 5)).toEqual(['m3-large.']);
    const [fourth] = await consumer.receive(10, 0, 3);
    expect(text(fourth!.data)).toBe('m4.');
    // A due redelivery comes first and counts toward the budget.
    await consumer.nack([fourth!], 'again');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await bodies(10, 3)).toEqual(['m4.']);
    expect(await bodies(10, 100)).toEqual(['m5.']);
  });

  it('redelivers a negatively acknowledged message after a delay, then dead-letters it with the reason', async () => {
    const queue = open(folder());
    await queue.producer(topic).send([msg('k', 'poison-ish')]);
    const consumer = queue.consumer(topic, consumerOptions);
    let [message] = await consumer.receive(1, 0);
    for (let delivery = 1; delivery <= 2; delivery++) {
      await consumer.nack([message!], 'boom');
      expect(await consumer.receive(1, 0)).toEqual([]); // not before the delay
      [message] = await consumer.receive(1, 1000);
      expect(message?.redeliveryCount).toBe(delivery);
    }
    await consumer.nack([message!], 'boom');
    expect(await consumer.receive(1, 100)).toEqual([]);
    const letters = await queue.deadLetters(10);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ topic: 'collector/payloads', subscription: 'sub', key: 'k', reason: 'boom (after 3 deliveries)' });
    expect(text(letters[0]!.data)).toBe('poison-ish');
    expect((await queue.backlog(topic))?.total).toBe(0);
  });

  it('dead-letters a message straight away when asked', async () => {
    const queue = open(folder());
    await queue.producer(topic).send([msg('k', 'bad')]);
    const consumer = queue.consumer(topic, consumerOptions);
    const [message] = await consumer.receive(1, 0);
    await consumer.deadLetter(message!, 'not JSON');
    expect((await queue.deadLetters(1))[0]?.reason).toBe('not JSON');
    expect((await queue.backlog(topic))?.total).toBe(0);
  });

  async function deadLetterAll(queue: SqliteQueue, bodies: string[]): Promise<string[]> {
    await queue.producer(topic).send(bodies.map((body, i) => msg(`k${i}`, body)));
    const consumer = queue.consumer(topic, consumerOptions);
    for (const message of await consumer.receive(bodies.length, 0)) await consumer.deadLetter(message, `bad ${text(message.data)}`);
    await consumer.close();
    return (await queue.deadLetters(100)).map((letter) => letter.id);
  }

  it('gives each dead letter a stable id, newest first', async () => {
    const dir = folder();
    const first = open(dir);
    const ids = await deadLetterAll(first, ['a', 'b']);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => /^[0-9]+$/.test(id))).toBe(true);
    expect((await first.deadLetters(100)).map((l) => text(l.data))).toEqual(['b', 'a']);
    await first.close();
    expect((await open(dir).deadLetters(100)).map((l) => l.id)).toEqual(ids);
  });

  it('replays dead letters by id to their topic with data and key unchanged, and forgets them', async () => {
    const queue = open(folder());
    const [newest, oldest] = await deadLetterAll(queue, ['one', 'two']);
    expect(await queue.replayDeadLetters({ ids: [oldest!, 'nope', '999999'] })).toEqual({ replayed: 1, notFound: ['nope', '999999'] });
    expect((await queue.deadLetters(100)).map((l) => l.id)).toEqual([newest]);
    expect((await queue.backlog(topic))?.total).toBe(1);
    const got = await queue.consumer(topic, consumerOptions).receive(10, 0);
    expect(got.map((m) => [m.key, text(m.data), m.redeliveryCount])).toEqual([['k0', 'one', 0]]);
    // The same id again: it is no longer a dead letter.
    expect(await queue.replayDeadLetters({ ids: [oldest!] })).toEqual({ replayed: 0, notFound: [oldest] });
  });

  it('replays every dead letter, oldest first, when no ids are given', async () => {
    const dir = folder();
    const queue = open(dir);
    await deadLetterAll(queue, ['1', '2', '3']);
    const waiting = queue.consumer(topic, consumerOptions).receive(10, 5_000);
    expect(await queue.replayDeadLetters({})).toEqual({ replayed: 3, notFound: [] });
    expect((await waiting).map((m) => text(m.data))).toEqual(['1', '2', '3']);
    expect(await queue.deadLetters(100)).toEqual([]);
    expect(await queue.replayDeadLetters({})).toEqual({ replayed: 0, notFound: [] });
    await queue.close();
    const reopened = open(dir);
    expect(await reopened.deadLetters(100)).toEqual([]);
    expect((await reopened.backlog(topic))?.total).toBe(3);
  });

  it('takes each dead letter once when replays run at the same time', async () => {
    const queue = open(folder());
    const ids = await deadLetterAll(queue, ['x', 'y']);
    const results = await Promise.all([queue.replayDeadLetters({ ids }), queue.replayDeadLetters({}), queue.replayDeadLetters({ ids })]);
    expect(results.reduce((sum, r) => sum + r.replayed, 0)).toBe(2);
    expect((await queue.consumer(topic, consumerOptions).receive(10, 0)).map((m) => text(m.data)).sort()).toEqual(['x', 'y']);
  });

  it('refuses producers with a retryable error when the backlog is full, and takes them again after acks', async () => {
    const queue = open(folder(), 2);
    const producer = queue.producer(topic);
    await producer.send([msg('a', '1'), msg('a', '2')]);
    const refused = await producer.send([msg('a', '3')]).catch((error: unknown) => error);
    expect(isQueueUnavailable(refused)).toBe(true);
    expect((refused as Error).message).toContain('full');
    const consumer = queue.consumer(topic, consumerOptions);
    await consumer.ack(await consumer.receive(1, 0));
    await expect(producer.send([msg('a', '3')])).resolves.toBeUndefined();
  });

  it('wakes a waiting consumer as soon as a message arrives', async () => {
    const queue = open(folder());
    const consumer = queue.consumer(topic, consumerOptions);
    const started = Date.now();
    const waiting = consumer.receive(10, 5000);
    setTimeout(() => void queue.producer(topic).send([msg('a', 'late')]), 50);
    const got = await waiting;
    expect(got.map((m) => text(m.data))).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('is healthy until closed', async () => {
    const queue = open(folder());
    expect(queue.healthy()).toBe(true);
    await queue.close();
    expect(queue.healthy()).toBe(false);
    await expect(queue.producer(topic).send([msg('a', 'late')])).rejects.toThrow('queue is closed');
  });

  it('knows configured topics and reports unknown ones as null', async () => {
    const queue = open(folder());
    expect((await queue.backlog(topic))?.total).toBe(0);
    expect(await queue.backlog({ namespace: 'nope', name: 'nope' })).toBeNull();
  });

  it('commits many concurrent sends together and loses none', async () => {
    const dir = folder();
    const queue = open(dir);
    const producer = queue.producer(topic);
    await Promise.all(Array.from({ length: 500 }, (_, i) => producer.send([msg(`k${i % 7}`, String(i))])));
    await queue.close();
    const reopened = open(dir);
    const got = await reopened.consumer(topic, consumerOptions).receive(1000, 0);
    expect(got.map((m) => Number(text(m.data))).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
