import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '@inflow/core';
import { requiredEnv } from '../../test-support/services.js';
import { ElasticDefinitions } from './elastic-definitions.js';
import { ElasticSchedule } from './elastic-schedule.js';

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
    await client.indices.delete({ index: [`${prefix}-schedule`, `${prefix}-definitions`] }, { ignore: [404] });
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
});
