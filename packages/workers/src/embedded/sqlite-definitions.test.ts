import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { definitionStoreContract } from '../test-support/definition-store-contract.js';
import { tempDir } from '../test-support/fixtures.js';
import { SqliteDefinitions } from './sqlite-definitions.js';

describe('SqliteDefinitions', () => {
  const opened: Array<{ store: SqliteDefinitions; remove: () => void }> = [];
  afterEach(() => {
    for (const { store, remove } of opened.splice(0)) {
      store.close();
      remove();
    }
  });
  definitionStoreContract(() => {
    const { dir, remove } = tempDir('definitions');
    const store = new SqliteDefinitions(join(dir, 'store.db'));
    opened.push({ store, remove });
    return store;
  });
});
