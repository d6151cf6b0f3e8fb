import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { tempDir } from '../test-support/fixtures.js';
import { scheduleStoreContract } from '../test-support/schedule-store-contract.js';
import { SqliteSchedule } from './sqlite-schedule.js';

describe('SqliteSchedule', () => {
  const opened: Array<{ store: SqliteSchedule; remove: () => void }> = [];
  afterEach(() => {
    for (const { store, remove } of opened.splice(0)) {
      store.close();
      remove();
    }
  });
  scheduleStoreContract(async () => {
    const { dir, remove } = tempDir('schedule');
    const store = new SqliteSchedule(join(dir, 'store.db'));
    opened.push({ store, remove });
    return store;
  });
});
