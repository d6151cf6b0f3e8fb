import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteQueue } from '../embedded/sqlite-queue.js';
import { ClientGoneError, decodeQueuedRequests, encodeEnvelope, type OutgoingMessage, type QueueProducer, QueueUnavailableError, RequestBatcher } from '@inflow/core';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';

const topic = { namespace: 'collector', name: 'payloads' };
const settings = { lanes: 4, maxBatchBytes: 64 * 1024, lingerMs: 5, maxInFlightPerLane: 2, maxPendingBytes: 1_000_000 };

describe('RequestBatcher', () => {
  let queue: SqliteQueue;
  let remove: () => void;

  beforeEach(() => {
    const temp = tempDir('batcher');
    remove = temp.remove;
    queue = new SqliteQueue({ file: join(temp.dir, 'q.db'), tenant: 'inflow', maxBacklog: 100_000, topics: [topic] });
  });
  afterEach(async () => {
    await queue.close();
    remove();
  });

  it('puts many requests in few messages, keeps each profile in one lane and in order', async () => {
    const batcher = new RequestBatcher({ producer: queue.producer(topic), ...settings });
    const envelopes = Array.from({ length: 200 }, (_, i) => envelopeFor({ profile: { id: `p-${i % 7}` }, events: [{ id: `e-${i}`, type: 'x' }] }));
    await Promise.all(envelopes.map((e) => batcher.append(e.payload.profile.id, encodeEnvelope(e))));
    expect(batcher.pending).toBe(0);

    const consumer = queue.consumer(topic, { subscription: 's', maxRedeliveries: 1, redeliveryDelayMs: 10 });
    const messages = await consumer.receive(1000, 100);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.length).toBeLessThanOrEqual(20);
    const laneOfProfile = new Map<string, string>();
    const order = new Map<string, number[]>();
    for (const message of messages) {
      for (const request of decodeQueuedRequests(message.data)) {
        if (!request.ok) throw new Error(request.reason);
        const profile = request.envelope.payload.profile.id;
        expect(laneOfProfile.get(profile) ?? message.key).toBe(message.key);
        laneOfProfile.set(profile, message.key);
        order.set(profile, [...(order.get(profile) ?? []), Number(request.envelope.payload.events[0]?.id.slice(2))]);
      }
    }
    expect([...order.values()].flat()).toHaveLength(200);
    for (const seen of order.values()) expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('publishes a lane at once when its batch is full, without waiting for the linger', async () => {
    const sent: OutgoingMessage[][] = [];
    const producer: QueueProducer = { send: async (messages) => void sent.push(messages) };
    const batcher = new RequestBatcher({ producer, ...settings, lanes: 1, maxBatchBytes: 1000, lingerMs: 60_000 });
    const big = Buffer.alloc(499, 'a'); // two of them (with separators) fill the 1,000 bytes exactly
    await Promise.all([batcher.append('p', big), batcher.append('p', big)]);
    expect(sent).toHaveLength(1);
  });

  it('fails every request of a refused batch, and refuses at once past the pending bound (503, not a wait)', async () => {
    const producer: QueueProducer = { send: () => Promise.reject(new QueueUnavailableError('broker down', 2)) };
    const batcher = new RequestBatcher({ producer, ...settings });
    const results = await Promise.allSettled([batcher.append('a', Buffer.from('{}')), batcher.append('b', Buffer.from('{}'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(batcher.pending).toBe(0);

    const slow: QueueProducer = { send: () => new Promise(() => undefined) };
    const bounded = new RequestBatcher({ producer: slow, ...settings, maxPendingBytes: 100 });
    void bounded.append('a', Buffer.alloc(80));
    await expect(bounded.append('b', Buffer.alloc(80))).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  /** One lane, one batch in flight, and a broker that holds the first batch until `release`: what comes next waits in the lane. */
  async function laneBehindAHangingBatch(): Promise<{ batcher: RequestBatcher; first: Promise<void>; release: () => void; published: () => string[] }> {
    const sent: OutgoingMessage[][] = [];
    let release: () => void = () => undefined;
    const producer: QueueProducer = {
      send: (messages) => {
        sent.push(messages);
        return sent.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    };
    const batcher = new RequestBatcher({ producer, ...settings, lanes: 1, lingerMs: 0, maxInFlightPerLane: 1 });
    const first = batcher.append('p', Buffer.from('"first"'));
    await new Promise((resolve) => setTimeout(resolve, 10)); // the first batch is in flight and hangs
    return { batcher, first, release: () => release(), published: () => sent.map((messages) => Buffer.from(messages[0]!.data).toString()) };
  }

  it('drops a request still waiting in its lane at its deadline (503), so it is never published later', async () => {
    const { batcher, first, release, published } = await laneBehindAHangingBatch();
    const late = batcher.append('p', Buffer.from('"late"'), Date.now() + 20);
    const onTime = batcher.append('p', Buffer.from('"on-time"'), Date.now() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await first;
    await expect(late).rejects.toBeInstanceOf(QueueUnavailableError);
    await onTime;
    expect(published()).toEqual(['["first"]', '["on-time"]']);
    expect(batcher.pending).toBe(0);
  });

  it('drops a request whose client went away while it waited in its lane (ClientGoneError), so a resend is not stored twice', async () => {
    const { batcher, first, release, published } = await laneBehindAHangingBatch();
    const gone = { aborted: false };
    const abandoned = batcher.append('p', Buffer.from('"abandoned"'), Infinity, 1, gone);
    const waiting = batcher.append('p', Buffer.from('"waiting"'), Infinity, 1, { aborted: false });
    gone.aborted = true; // its connection closed before the lane had room
    release();
    await first;
    await expect(abandoned).rejects.toBeInstanceOf(ClientGoneError);
    await waiting;
    expect(published()).toEqual(['["first"]', '["waiting"]']);
    expect(batcher.pending).toBe(0);
  });

  /** The messages one lane publishes for these appends (key, its data, its events), as text. */
  async function messagesOf(maxEventsPerProfile: number, appends: Array<[key: string, data: string, events: number]>): Promise<string[]> {
    const sent: OutgoingMessage[][] = [];
    const producer: QueueProducer = { send: async (messages) => void sent.push(messages) };
    const batcher = new RequestBatcher({ producer, ...settings, lanes: 1, maxEventsPerProfile, lingerMs: 5 });
    await Promise.all(appends.map(([key, data, events]) => batcher.append(key, Buffer.from(data), Infinity, events)));
    return sent.map((messages) => Buffer.from(messages[0]!.data).toString());
  }

  it('cuts a batch before one profile has more events in it than the collector can recognise', async () => {
    expect(await messagesOf(100, [['hot', '1', 60], ['cold', '2', 60], ['hot', '3', 60]])).toEqual(['[1,2]', '[3]']);
  });

  it('lets a request larger than the bound join a batch holding nothing of its profile, and cuts before the next of that profile', async () => {
    expect(await messagesOf(64, [['other', '1', 10], ['big', '2', 100], ['other', '3', 10], ['big', '4', 1]])).toEqual(['[1,2,3]', '[4]']);
  });
});
