import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, InfrastructureError } from '@inflow/core';
import { collect } from '../../collector/collect.js';
import { envelopeFor } from '../../test-support/fixtures.js';
import { requiredEnv } from '../../test-support/services.js';
import { ElasticDefinitions } from './elastic-definitions.js';
import { ElasticSchedule } from './elastic-schedule.js';
import { ElasticStore } from './elastic-store.js';

// An index blocked for writes (an operator's read-only block, the flood-stage disk watermark) says
// nothing about the data: writes meeting it are outages, retried by their callers and never
// dead-lettered or answered as a client's fault.
describe('writes to an Elasticsearch index blocked for writes', () => {
  const prefix = `itblk${Date.now().toString(36)}`;
  let client: Client;
  const block = (index: string, on: boolean) => client.indices.putSettings({ index, settings: { 'index.blocks.write': on ? true : null } });
  beforeAll(() => {
    client = new Client({ node: requiredEnv('INFLOW_ELASTICSEARCH_URL') });
  });
  afterAll(async () => {
    // Deleting by wildcard is refused by default (destructive_requires_name): name each index.
    const indices = Object.keys(await client.indices.get({ index: `${prefix}-*` }));
    for (const index of indices) await block(index, false);
    await client.indices.delete({ index: indices }, { ignore: [404] });
    await client.close();
  });

  it('are outages for the workflow schedule, and go through once the block is lifted', async () => {
    const schedule = new ElasticSchedule(client, prefix);
    await schedule.init();
    const item = { id: 'due-1', dueAt: Date.now(), profileId: 'p1', data: { step: 1 } };
    await block(`${prefix}-schedule`, true);
    try {
      const error = await schedule.schedule([item]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as Error).message).toMatch(/store unavailable: schedule due-1: 403 cluster_block_exception/);
    } finally {
      await block(`${prefix}-schedule`, false);
    }
    await schedule.schedule([item]);
    expect((await schedule.leaseDue(Date.now() + 1, 10, 'me', 60_000)).map((due) => due.id)).toEqual(['due-1']);
  });

  it('are outages for the definitions (the private API answers 503), and go through once the block is lifted', async () => {
    const definitions = new ElasticDefinitions(client, prefix);
    await definitions.init();
    await block(`${prefix}-definitions`, true);
    try {
      const error = await definitions.put('destination', { id: 'hook', version: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as Error).message).toMatch(/cluster_block_exception/);
    } finally {
      await block(`${prefix}-definitions`, false);
    }
    expect(await definitions.put('destination', { id: 'hook', version: 1 })).toBe('written');
  });

  it('send a late event whose own day\'s index is read-only (index lifecycle) to the index of the day it came in; a blocked current index is an outage', async () => {
    const lines: string[] = [];
    const store = new ElasticStore({ url: requiredEnv('INFLOW_ELASTICSEARCH_URL'), indexPrefix: prefix, bulkAttempts: 2, maxBulkBytes: 1_000_000, logger: createLogger({ level: 'warn', format: 'text', sink: (line) => lines.push(line) }) });
    await store.init();
    try {
      const received = new Date().toISOString();
      const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
      const old = collect(envelopeFor({ profile: { id: 'late' }, session: { id: 'late-s' }, events: [{ id: 'then', type: 'a', time: threeDaysAgo }] }, { receivedAt: Date.parse(received) }), { profile: null, session: null });
      const oldIndex = `${prefix}-events-${threeDaysAgo.slice(0, 10).replaceAll('-', '.')}`;
      const todayIndex = `${prefix}-events-${received.slice(0, 10).replaceAll('-', '.')}`;
      await client.indices.create({ index: oldIndex });
      await block(oldIndex, true);
      const result = await store.write({ profiles: [old.profile], sessions: [old.session], events: old.events });
      expect(result.events).toEqual({ saved: 1, stale: 0, staleIds: [], failed: [] });
      await client.indices.refresh({ index: todayIndex });
      expect((await client.count({ index: todayIndex, query: { term: { id: 'then' } } })).count).toBe(1);
      expect(lines.join('\n')).toMatch(/WARN .*1 late events go to the index of the day they came in, their own day's cannot be written: then \(403 cluster_block_exception/);
      // Redelivered, it finds itself there: stored once.
      expect((await store.write({ profiles: [], sessions: [], events: old.events })).events).toMatchObject({ saved: 0, stale: 1 });

      // The profiles index blocked: nothing to fall back to, the write is retried by the collector.
      await block(`${prefix}-profiles`, true);
      const now = collect(envelopeFor({ profile: { id: 'now' }, session: { id: 'now-s' }, events: [{ id: 'now-e', type: 'a' }] }), { profile: null, session: null });
      const blocked = await store.write({ profiles: [now.profile], sessions: [now.session], events: now.events });
      expect(blocked.profiles.failed).toEqual([{ id: 'now', reason: expect.stringMatching(/^403 cluster_block_exception/), permanent: false }]);
    } finally {
      await block(`${prefix}-profiles`, false);
      await store.close();
    }
  });
});
