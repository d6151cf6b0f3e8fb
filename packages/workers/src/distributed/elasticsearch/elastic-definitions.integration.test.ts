import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe } from 'vitest';
import { definitionStoreContract } from '../../test-support/definition-store-contract.js';
import { requiredEnv } from '../../test-support/services.js';
import { ElasticDefinitions } from './elastic-definitions.js';

describe('ElasticDefinitions against a real Elasticsearch', () => {
  const run = `itdef${Date.now().toString(36)}`;
  let client: Client;
  let count = 0;
  const prefixes: string[] = [];
  beforeAll(() => {
    client = new Client({ node: requiredEnv('INFLOW_ELASTICSEARCH_URL') });
  });
  afterAll(async () => {
    for (const prefix of prefixes) await client.indices.delete({ index: `${prefix}-definitions` }, { ignore: [404] });
    await client.close();
  });
  definitionStoreContract(() => {
    const prefix = `${run}-${++count}`;
    prefixes.push(prefix);
    const store = new ElasticDefinitions(client, prefix);
    // The contract awaits the first call: init runs before it through this wrapper.
    const ready = store.init();
    return {
      list: async (kind) => (await ready, store.list(kind)),
      get: async (kind, id) => (await ready, store.get(kind, id)),
      put: async (kind, definition) => (await ready, store.put(kind, definition)),
      delete: async (kind, id) => (await ready, store.delete(kind, id)),
    };
  });
});
