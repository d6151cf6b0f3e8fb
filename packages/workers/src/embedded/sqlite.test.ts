import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/fixtures.js';
import { openDatabase } from './sqlite.js';

describe('openDatabase', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function open(options?: Parameters<typeof openDatabase>[1]) {
    const { dir, remove } = tempDir('sqlite');
    const db = openDatabase(join(dir, 'nested', 'file.db'), options);
    cleanups.push(remove, () => db.close());
    return db;
  }

  it('opens a durable WAL file with the page cache it is given (SQLite counts negative sizes in KiB)', () => {
    const db = open({ cacheKb: 2048 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL: every commit is synced.
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('cache_size', { simple: true })).toBe(-2048);
  });

  it("keeps the build's page cache when given none, and never goes below 64 KiB", () => {
    expect(open().pragma('cache_size', { simple: true })).toBe(-16000);
    expect(open({ cacheKb: 1 }).pragma('cache_size', { simple: true })).toBe(-64);
  });
});
