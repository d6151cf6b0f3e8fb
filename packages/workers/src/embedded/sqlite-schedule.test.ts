import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/fixtures.js';
import { scheduleStoreContract } from '../test-support/schedule-store-contract.js';
import { openDatabase } from './sqlite.js';
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

  it('polls without waiting for another connection that is writing the file, when nothing is due', async () => {
    const { dir, remove } = tempDir('schedule');
    const file = join(dir, 'store.db');
    const store = new SqliteSchedule(file);
    opened.push({ store, remove });
    await store.schedule([{ id: 'later', dueAt: Date.now() + 60_000, profileId: 'p', data: {} }]);
    // The store's writer thread, in the middle of a commit: it holds the file's write lock.
    const writer = openDatabase(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      expect(await store.leaseDue(Date.now(), 10, 'me', 30_000)).toEqual([]);
      // A lease that took the write lock would have waited the busy timeout (5 s), then failed.
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      writer.exec('COMMIT');
      writer.close();
    }
    expect((await store.leaseDue(Date.now() + 120_000, 10, 'me', 30_000)).map((item) => item.id)).toEqual(['later']);
  });
});
