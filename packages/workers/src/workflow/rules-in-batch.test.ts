import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, topicNames, type TraceEntry } from '@inflow/core';
import { Collector } from '../collector/collector.js';
import { DestinationDirectory } from '../dispatch/destination-directory.js';
import { DispatchFeed } from '../dispatch/dispatch-feed.js';
import { CachedProfileState } from '../embedded/cached-profile-state.js';
import { SqliteDefinitions } from '../embedded/sqlite-definitions.js';
import { SqliteQueue } from '../embedded/sqlite-queue.js';
import { SqliteSchedule } from '../embedded/sqlite-schedule.js';
import { SqliteStore } from '../embedded/sqlite-store.js';
import { envelopeFor, tempDir } from '../test-support/fixtures.js';
import { checkRule, type RuleRecord } from './rule.js';
import { RuleDirectory } from './rule-directory.js';
import { RulesInBatch } from './rules-in-batch.js';

describe('rules run inside the collector write (embedded engine)', () => {
  const logger = createLogger({ level: 'error', format: 'text' });
  const topics = topicNames('t', { collector: 'collector', dispatch: 'dispatch', workflow: 'workflow' });
  let dir: { dir: string; remove(): void };
  let store: SqliteStore;
  let definitions: SqliteDefinitions;
  let schedule: SqliteSchedule;
  let queue: SqliteQueue;
  let traced: TraceEntry[];
  let ran: { matched: number; notMatched: number };
  let stage: { received: number; done: number };

  beforeEach(() => {
    dir = tempDir('rules-in-batch');
    store = new SqliteStore(join(dir.dir, 'store.db'));
    definitions = new SqliteDefinitions(join(dir.dir, 'store.db'));
    schedule = new SqliteSchedule(join(dir.dir, 'store.db'));
    queue = new SqliteQueue({ file: join(dir.dir, 'queue.db'), tenant: 't', maxBacklog: 1000, topics: [topics.collector, topics.workflow] });
    traced = [];
    ran = { matched: 0, notMatched: 0 };
    stage = { received: 0, done: 0 };
  });
  afterEach(async () => {
    await queue.close();
    definitions.close();
    schedule.close();
    await store.close();
    dir.remove();
  });

  async function rule(input: Record<string, unknown>): Promise<void> {
    const checked = checkRule(input);
    if (!checked.ok) throw new Error(`${checked.problem.path}: ${checked.problem.message}`);
    const now = new Date().toISOString();
    const record: RuleRecord = { ...checked.spec, version: 1, createdAt: now, updatedAt: now };
    expect(await definitions.put('rule', record)).toBe('written');
  }

  function collector(): Collector {
    const rules = new RuleDirectory({ definitions, refreshMs: 0, logger });
    const dispatch = new DispatchFeed({ queue, topics, directory: new DestinationDirectory({ definitions, refreshMs: 0, logger }) });
    const inBatch = new RulesInBatch({
      rules,
      dispatch,
      emit: queue.producer(topics.collector),
      schedule,
      ruleMeter: { ran: (yes, no) => ((ran.matched += yes), (ran.notMatched += no)) },
      meter: { received: (n) => (stage.received += n), settled: (outcome, n) => outcome === 'done' && (stage.done += n) },
      trace: { record: (entry) => traced.push(entry) },
    });
    return new Collector({ state: new CachedProfileState(store, 100), store, logger, rules: inBatch, feed: dispatch });
  }

  it('runs each event through the rules on the profile its request left, stores the changes in the same write, and never twice', async () => {
    await rule({ id: 'count', trigger: { eventTypes: ['page-view'] }, actions: [{ type: 'increment', trait: 'views' }] });
    await rule({
      id: 'third',
      trigger: { eventTypes: ['page-view'] },
      condition: { field: 'profile.traits.views', op: 'gte', value: 3 },
      actions: [{ type: 'add-segment', segment: 'regular' }],
    });
    const c = collector();
    const first = envelopeFor({ events: [{ id: 'e1', type: 'page-view' }, { id: 'e2', type: 'page-view' }] });
    const second = envelopeFor({ events: [{ id: 'e3', type: 'page-view' }, { id: 'e4', type: 'other' }] });
    expect((await c.processAll([first, second])).map((o) => o.kind)).toEqual(['stored', 'stored']);
    const profile = await store.getProfile('p-1');
    expect(profile).toMatchObject({ eventCount: 4, traits: { views: 3 }, segments: ['regular'], version: 1 });
    // Two rules on each of three page views; `third` matched on the third only ('other' triggers none).
    expect(ran).toEqual({ matched: 4, notMatched: 2 });
    // The workflow stage counts the events the rules took (the page views), received and done.
    expect(stage).toEqual({ received: 3, done: 3 });
    expect(traced.filter((entry) => entry.stage === 'rule').map((entry) => [entry.eventIds?.[0], entry.requestId])).toEqual([
      ['e1', first.id],
      ['e2', first.id],
      ['e3', second.id],
    ]);

    // The same requests again (a redelivery, a client retry): nothing counted or run twice.
    await c.processAll([first, second]);
    await collector().process(second);
    expect(await store.getProfile('p-1')).toMatchObject({ eventCount: 4, traits: { views: 3 } });
    expect(ran).toEqual({ matched: 4, notMatched: 2 });
    // Taken again and done again (as a redelivered workflow message is), with nothing run.
    expect(stage).toEqual({ received: 7, done: 7 });
  });

  it('carries out effects before the write: an emitted event waits on the collector topic, once', async () => {
    await rule({ id: 'echo', trigger: { eventTypes: ['signup'] }, actions: [{ type: 'emit', event: { type: 'welcome', properties: { via: 'rule' } } }] });
    const c = collector();
    const request = envelopeFor({ events: [{ id: 's1', type: 'signup' }] });
    await c.process(request);
    await c.process(request);
    const consumer = queue.consumer(topics.collector, { subscription: 'collector', maxRedeliveries: 3, redeliveryDelayMs: 100 });
    const messages = await consumer.receive(10, 200);
    expect(messages).toHaveLength(1);
    expect(Buffer.from(messages[0]?.data ?? []).toString()).toContain('"type":"welcome"');
    await consumer.close();
  });
});
