import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Definition, type DefinitionStore, InfrastructureError, topicNames } from '@inflow/core';
import { SqliteQueue } from '../embedded/sqlite-queue.js';
import { tempDir } from '../test-support/fixtures.js';
import { checkDestination, type DestinationRecord } from './destination.js';
import { DestinationDirectory } from './destination-directory.js';
import { createDispatcher } from './dispatcher.js';

const topics = topicNames('inflow', { collector: 'collector', dispatch: 'dispatch', workflow: 'workflow' });

function destination(id: string): DestinationRecord {
  const checked = checkDestination({ id, webhook: { url: `https://${id}.example/hook` }, trigger: {} });
  if (!checked.ok) throw new Error(checked.problem.message);
  const now = new Date().toISOString();
  return { ...checked.spec, version: 1, revision: 1, paused: false, createdAt: now, updatedAt: now };
}

/** Definitions whose reads fail (the store is away) until `back()`. */
function awayThenBack(records: DestinationRecord[]): DefinitionStore & { back(): void; reads: number } {
  let away = true;
  const store = {
    reads: 0,
    back: () => {
      away = false;
    },
    list: () => {
      store.reads++;
      return away ? Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED 127.0.0.1:9200')) : Promise.resolve(records as unknown as Definition[]);
    },
    get: () => Promise.resolve(null),
    put: () => Promise.resolve('conflict' as const),
    delete: () => Promise.resolve(false),
  };
  return store;
}

describe('the dispatcher', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('starts while the destinations cannot be read, warns, and opens their lanes once they can', async () => {
    const { dir, remove } = tempDir('dispatcher');
    cleanups.push(remove);
    const queue = new SqliteQueue({ file: join(dir, 'queue.db'), tenant: 'inflow', maxBacklog: 1000, topics: [] });
    cleanups.push(() => queue.close());
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'text', sink: (line) => lines.push(line) });
    const definitions = awayThenBack([destination('crm')]);
    const dispatcher = createDispatcher({
      queue,
      topics,
      directory: new DestinationDirectory({ definitions, refreshMs: 20, logger }),
      secrets: {},
      consumer: { maxRedeliveries: 3, redeliveryDelayMs: 10 },
      batchSize: 10,
      waitMs: 10,
      refreshMs: 20,
      send: () => Promise.resolve({ kind: 'answer' as const, status: 200 }),
      logger,
    });
    cleanups.push(() => dispatcher.close());

    // Start does not wait for the store, nor fail.
    await dispatcher.start();
    expect(dispatcher.counts()).toEqual({});
    await waitFor(() => definitions.reads >= 3);
    expect(dispatcher.counts()).toEqual({});
    expect(lines.some((line) => / WARN .*destinations not followed this round: store unavailable: connect ECONNREFUSED/.test(line))).toBe(true);

    definitions.back();
    await waitFor(() => 'crm' in dispatcher.counts());
    expect(lines.some((line) => /dispatching to crm/.test(line))).toBe(true);
  });
});

async function waitFor(done: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
