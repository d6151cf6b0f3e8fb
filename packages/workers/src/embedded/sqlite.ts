import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InfrastructureError } from '@inflow/core';

export type SqliteDatabase = Database.Database;

export interface DatabaseOptions {
  /**
   * The connection's page cache at most, in KiB. better-sqlite3 builds SQLite with 16 MB a
   * connection, which a connection that only appends fills with pages it never reads again
   * (the embedded queue's writer thread held 16-19 MB of the edge's RSS that way).
   */
  cacheKb?: number;
  /**
   * The largest the write-ahead log is left on disk after a checkpoint, in bytes (default
   * WAL_LIMIT_BYTES). SQLite reuses the log from its start once a checkpoint caught up, but
   * never shrinks it: a burst while a long read held the checkpoint back (a slow collector, an
   * operator's query) would otherwise keep its whole size on disk for good.
   */
  walLimitBytes?: number;
}

/** The write-ahead log kept on disk after a checkpoint at most: 64 MB, sixteen times what the default checkpoint lets it reach (1,000 pages). */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Opens a SQLite file for durable use: WAL journal and a full sync on every commit, so a
 * commit that returned survives a crash or power loss.
 */
export function openDatabase(file: string, options: DatabaseOptions = {}): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma(`journal_size_limit = ${Math.max(0, Math.floor(options.walLimitBytes ?? WAL_LIMIT_BYTES))}`);
  if (options.cacheKb !== undefined) db.pragma(`cache_size = -${Math.max(64, Math.floor(options.cacheKb))}`);
  return db;
}

/** Runs a SQLite call; a failure (busy, full or failing disk) comes out as InfrastructureError: retried, never dead-lettered. */
export function sqliteCall<T>(what: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw new InfrastructureError('store', `${what}: ${(error as Error).message}`, { cause: error });
  }
}
