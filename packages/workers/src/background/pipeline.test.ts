import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Collector } from '../collector/collector.js';
import { createCollectorWorker } from '../collector/collector-worker.js';
import { CachedProfileState } from '../embedded/cached-profile-state.js';
import { SqliteQueue } from '../embedded/sqlite-queue.js';
import { SqliteStore } from '../embedded/sqlite-store.js';
import { encodeEnvelope } from '../envelope/envelope.js';
import { createLogger } from '../logging/logger.js';
import { encodeStorageMessages } from '../records/storage-batch-codec.js';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';
import { topicNames } from '../topics.js';
import type { Lifecycle } from '../util/lifecycle.js';
import { createStorageWorker } from './storage-worker.js';

const topics = topicNames('inflow', { collector: 'collector', storage: 'storage' });

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('collector and storage workers on the embedded engine', () => {
  let queue: SqliteQueue;
  let store: SqliteStore;
  let workers: Lifecycle[];
  let lines: string[];
  let remove: () => void;

  beforeEach(async () => {
    const temp = tempDir('pipeline');
    remove = temp.remove;
    queue = new SqliteQueue({ file: join(temp.dir, 'q.db'), tenant: 'inflow', maxBacklog: 10_000, topics: [topics.collector, topics.storage] });
    store = new SqliteStore(join(temp.dir, 's.db'));
    lines = [];
    const logger = createLogger({ level: 'info', format: 'text', sink: (line) => lines.push(line) });
    const consumer = { maxRedeliveries: 1, redeliveryDelayMs: 10 };
    workers = [
      createCollectorWorker({
        queue,
        input: topics.collector,
        output: topics.storage,
        consumer: { ...consumer, subscription: 'collector' },
        collector: new Collector(new CachedProfileState(store, 1000)),
        batchSize: 50,
        waitMs: 20,
        logger: logger.child('collector'),
      }),
      createStorageWorker({
        queue,
        input: topics.storage,
        consumer: { ...consumer, subscription: 'storage' },
        store,
        batchSize: 50,
        waitMs: 20,
        logger: logger.child('background'),
      }),
    ];
    for (const worker of workers) await worker.start();
  });

  afterEach(async () => {
    for (const worker of workers) await worker.close();
    await queue.close();
    store.close();
    remove();
  });

  it('turns queued requests into stored profiles, sessions and events, counting each request once', async () => {
    const producer = queue.producer(topics.collector);
    const first = envelopeFor({ events: [{ id: 'e1', type: 'page-view' }] });
    const second = envelopeFor({ events: [{ id: 'e2', type: 'click' }, { id: 'e3', type: 'click' }] });
    await producer.send([first, second, first].map((e) => ({ key: 'p-1', data: encodeEnvelope(e) })));

    const events = await eventually(() => store.listEvents({ profileId: 'p-1', limit: 10 }), (list) => list.length === 3);
    expect(events.map((e) => e.id).sort()).toEqual(['e1', 'e2', 'e3']);
    const profile = await eventually(() => store.getProfile('p-1'), (p) => p?.eventCount === 3);
    expect(profile).toMatchObject({ visits: 1, eventCount: 3 });
    expect((await store.getSession('s-1'))?.eventCount).toBe(3);
    await eventually(() => queue.backlog(topics.storage), (b) => b?.total === 0);
    expect((await queue.backlog(topics.collector))?.total).toBe(0);
    expect(lines.some((line) => /INFO {2}background Events: saved \d, unchanged \d, errors 0, \d+ ms/.test(line))).toBe(true);
    expect(lines.some((line) => /INFO {2}collector Collector: processed \d, events \d/.test(line))).toBe(true);
  });

  it('dead-letters malformed messages on both topics with the reason and keeps going', async () => {
    await queue.producer(topics.collector).send([{ key: 'x', data: Buffer.from('{"v":1,"id":"r","receivedAt":1,"payload":{"events":[]}}') }]);
    await queue.producer(topics.storage).send([{ key: 'x', data: Buffer.from('{}') }]);
    const good = envelopeFor({ profile: { id: 'p-ok' }, events: [{ id: 'ok', type: 'a' }] });
    await queue.producer(topics.storage).send(
      encodeStorageMessages([{ requestId: good.id, profile: { id: 'p-ok', version: 1 } as never, session: { id: 's', version: 1, profileId: 'p-ok', startedAt: 't' } as never, events: [] }]),
    );
    const letters = await eventually(() => queue.deadLetters(10), (list) => list.length === 2);
    expect(letters.map((l) => [l.topic, l.reason]).sort()).toEqual([
      ['collector/payloads', 'payload source: is required (expected an object)'],
      ['storage/records', 'storage message is not a list of batches'],
    ]);
    expect(await eventually(() => store.getProfile('p-ok'), (p) => p !== null)).not.toBeNull();
  });
});
