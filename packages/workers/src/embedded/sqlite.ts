import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InfrastructureError } from '@inflow/core';

export type SqliteDatabase = Database.Database;

/**
 * Opens a SQLite file for durable use: WAL journal and a full sync on every commit, so a
 * commit that returned survives a crash or power loss.
 */
export function openDatabase(file: string): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
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
