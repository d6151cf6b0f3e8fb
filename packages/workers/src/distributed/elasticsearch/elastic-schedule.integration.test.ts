import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe } from 'vitest';
import { requiredEnv } from '../../test-support/services.js';
import { scheduleStoreContract } from '../../test-support/schedule-store-contract.js';
import { ElasticSchedule } from './elastic-schedule.js';

describe('ElasticSchedule against a real Elasticsearch', () => {
  const prefix = `itsch${Date.now().toString(36)}`;
  let client: Client;
  beforeAll(() => {
    client = new Client({ node: requiredEnv('INFLOW_ELASTICSEARCH_URL') });
  });
  afterAll(async () => {
    await client.indices.delete({ index: `${prefix}-schedule` }, { ignore: [404] });
    await client.close();
  });
  scheduleStoreContract(
    async () => {
      const store = new ElasticSchedule(client, prefix);
      await store.init();
      return store;
    },
    async () => {
      await client.indices.refresh({ index: `${prefix}-schedule` });
    },
  );
});
