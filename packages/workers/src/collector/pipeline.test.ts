import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedProfileState } from '../embedded/cached-profile-state.js';
import { SqliteQueue } from '../embedded/sqlite-queue.js';
import { SqliteStore } from '../embedded/sqlite-store.js';
import { createLogger, encodeEnvelope, encodeEnvelopeBatch, type Lifecycle, topicNames } from '@inflow/core';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';
import { boundedGroups, createCollectorWorker } from './collector-worker.js';
import { Collector } from './collector.js';

const topics = topicNames('inflow', { collector: 'collector', dispatch: 'dispatch', workflow: 'workflow' });

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('collector worker on the embedded engine', () => {
  let queue: SqliteQueue;
  let store: SqliteStore;
  let worker: Lifecycle;
  let lines: string[];
  let remove: () => void;

  beforeEach(async () => {
    const temp = tempDir('pipeline');
    remove = temp.remove;
    queue = new SqliteQueue({ file: join(temp.dir, 'q.db'), tenant: 'inflow', maxBacklog: 10_000, topics: [topics.collector] });
    store = new SqliteStore(join(temp.dir, 's.db'));
    lines = [];
    const logger = createLogger({ level: 'info', format: 'text', sink: (line) => lines.push(line) });
    worker = createCollectorWorker({
      queue,
      input: topics.collector,
      consumer: { maxRedeliveries: 1, redeliveryDelayMs: 10, subscription: 'collector' },
      collector: new Collector({ state: new CachedProfileState(store, 1000), store, logger: logger.child('collector') }),
      batchSize: 50,
      waitMs: 20,
      logger: logger.child('collector'),
    });
    await worker.start();
  });

  afterEach(async () => {
    await worker.close();
    await queue.close();
    await store.close();
    remove();
  });

  it('stores the requests of batched and single messages, in order, counting each event once', async () => {
    const producer = queue.producer(topics.collector);
    const first = envelopeFor({ events: [{ id: 'e1', type: 'page-view' }] });
    const second = envelopeFor({ events: [{ id: 'e2', type: 'click' }, { id: 'e3', type: 'click' }] });
    const identify = envelopeFor({ events: [{ id: 'e4', type: 'identify', properties: { plan: 'pro' } }] });
    await producer.send([
      { key: 'lane-1', data: encodeEnvelopeBatch([encodeEnvelope(first), encodeEnvelope(second), encodeEnvelope(first)]) },
      { key: 'lane-1', data: encodeEnvelope(identify) },
    ]);

    const events = await eventually(() => store.listEvents({ profileId: 'p-1', limit: 10 }), (list) => list.length === 4);
    expect(events.map((e) => e.id).sort()).toEqual(['e1', 'e2', 'e3', 'e4']);
    const profile = await eventually(() => store.getProfile('p-1'), (p) => p?.eventCount === 4);
    expect(profile).toMatchObject({ visits: 1, eventCount: 4, traits: { plan: 'pro' } });
    expect((await store.getSession('s-1'))?.eventCount).toBe(4);
    await eventually(() => queue.backlog(topics.collector), (b) => b?.total === 0);
    expect(lines.some((line) => /INFO {2}collector Collected: requests \d+, events \d+ \(new \d+\), profiles saved \d+/.test(line))).toBe(true);
    expect(lines.some((line) => /INFO {2}collector Collector: messages \d+, requests \d+, stored \d+, events \d+, dead-lettered 0/.test(line))).toBe(true);
  });

  it('dead-letters only the unreadable request of a batch, with the reason, and stores the others', async () => {
    const good = envelopeFor({ profile: { id: 'p-ok' }, events: [{ id: 'ok', type: 'a' }] });
    const bad = Buffer.from('{"v":1,"id":"r","receivedAt":1,"payload":{"events":[]}}');
    await queue.producer(topics.collector).send([
      { key: 'lane-2', data: encodeEnvelopeBatch([bad, encodeEnvelope(good)]) },
      { key: 'lane-3', data: Buffer.from('[{"v":1,') },
    ]);
    const letters = await eventually(() => queue.deadLetters(10), (list) => list.length === 2);
    expect(letters.map((l) => [l.topic, l.reason.replace(/:.*$/, '')]).sort()).toEqual([
      ['collector/payloads', 'batch is not JSON'],
      ['collector/payloads', 'payload source'],
    ]);
    expect(JSON.parse(Buffer.from(letters.find((l) => l.reason.startsWith('payload'))!.data).toString())).toMatchObject({ id: 'r' });
    expect(await eventually(() => store.getProfile('p-ok'), (p) => p !== null)).toMatchObject({ eventCount: 1 });
    await eventually(() => queue.backlog(topics.collector), (b) => b?.total === 0);
    expect((await queue.backlog(topics.collector))?.total).toBe(0);
  });
});

describe('boundedGroups', () => {
  const message = (profile: string, events: number, session = `s-${profile}`) => ({
    message: { id: `${profile}-${events}`, key: 'lane', data: new Uint8Array(), redeliveryCount: 0, publishedAt: 0 },
    envelopes: [envelopeFor({ profile: { id: profile }, session: { id: session }, events: Array.from({ length: events }, (_, i) => ({ id: `${profile}-${i}`, type: 'x' })) })],
    unreadable: [],
  });
  const ids = (groups: ReturnType<typeof boundedGroups>) => groups.map((group) => group.map((item) => item.message.id));

  it('splits consecutive messages where one profile would pass the limit, never inside a message', () => {
    const groups = boundedGroups([message('a', 100), message('b', 100), message('a', 100), message('a', 100), message('c', 300)], 250);
    expect(ids(groups)).toEqual([['a-100', 'b-100', 'a-100'], ['a-100'], ['c-300']]);
  });

  it('splits where one session would pass the limit, whichever profiles name it', () => {
    const groups = boundedGroups([message('a', 100, 'shared'), message('b', 100, 'shared'), message('c', 100, 'shared')], 250);
    expect(ids(groups)).toEqual([['a-100', 'b-100'], ['c-100']]);
  });
});
