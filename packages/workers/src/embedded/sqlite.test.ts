import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/fixtures.js';
import { openDatabase, WAL_LIMIT_BYTES } from './sqlite.js';

describe('openDatabase', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function open(options?: Parameters<typeof openDatabase>[1]) {
    const { dir, remove } = tempDir('sqlite');
    const file = join(dir, 'nested', 'file.db');
    const db = openDatabase(file, options);
    cleanups.push(remove, () => db.close());
    return Object.assign(db, { file });
  }

  it('opens a durable WAL file with the page cache it is given (SQLite counts negative sizes in KiB)', () => {
    const db = open({ cacheKb: 2048 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL: every commit is synced.
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('cache_size', { simple: true })).toBe(-2048);
  });

  it('leaves the write-ahead log at most at its limit once a read that held the checkpoint back is over', () => {
    expect(open().pragma('journal_size_limit', { simple: true })).toBe(WAL_LIMIT_BYTES);
    const limit = 256 * 1024;
    const db = open({ walLimitBytes: limit });
    db.exec('CREATE TABLE rows (data BLOB)');
    const insert = db.prepare('INSERT INTO rows VALUES (?)');
    const reader = new Database(db.file, { readonly: true });
    cleanups.push(() => reader.close());
    // A read transaction open meanwhile: no checkpoint can get past it, so the log grows.
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM rows').get();
    for (let i = 0; i < 400; i++) insert.run(Buffer.alloc(8 * 1024, i));
    const wal = `${db.file}-wal`;
    expect(statSync(wal).size).toBeGreaterThan(8 * limit);
    reader.exec('COMMIT');
    // The read is over: a checkpoint catches up, and the next write starts the log again, cut to the limit.
    db.pragma('wal_checkpoint(PASSIVE)');
    insert.run(Buffer.alloc(16));
    expect(statSync(wal).size).toBeLessThanOrEqual(limit);
  });

  it("keeps the build's page cache when given none, and never goes below 64 KiB", () => {
    expect(open().pragma('cache_size', { simple: true })).toBe(-16000);
    expect(open({ cacheKb: 1 }).pragma('cache_size', { simple: true })).toBe(-64);
  });
});
