import type { ScheduledItem, ScheduleStore } from '@inflow/core';
import { openDatabase, sqliteCall, type SqliteDatabase } from './sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS schedule (
  id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, profile_id TEXT NOT NULL, lease_owner TEXT, leased_until INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schedule_due ON schedule (done, due_at);`;

interface Row {
  id: string;
  due_at: number;
  profile_id: string;
  leased_until: number;
  data: string;
}

/** The embedded schedule: a table beside the records; a completed item stays as a tombstone (done = 1). */
export class SqliteSchedule implements ScheduleStore {
  private readonly db: SqliteDatabase;
  private readonly sql;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.exec(SCHEMA);
    this.sql = {
      insert: this.db.prepare('INSERT OR IGNORE INTO schedule (id, due_at, profile_id, data) VALUES (?, ?, ?, ?)'),
      lease: this.db.prepare<[string, number, number, number, number], Row>(
        `UPDATE schedule SET lease_owner = ?, leased_until = ?
         WHERE id IN (SELECT id FROM schedule WHERE done = 0 AND due_at <= ? AND leased_until < ? ORDER BY due_at LIMIT ?)
         RETURNING id, due_at, profile_id, leased_until, data`,
      ),
      anyDue: this.db.prepare<[number, number], { due: number }>('SELECT 1 AS due FROM schedule WHERE done = 0 AND due_at <= ? AND leased_until < ? LIMIT 1'),
      complete: this.db.prepare("UPDATE schedule SET done = 1, data = 'null' WHERE id = ? AND done = 0"),
      list: this.db.prepare<[number], Row>('SELECT id, due_at, profile_id, leased_until, data FROM schedule WHERE done = 0 ORDER BY due_at LIMIT ?'),
      listOf: this.db.prepare<[string, number], Row>(
        'SELECT id, due_at, profile_id, leased_until, data FROM schedule WHERE done = 0 AND profile_id = ? ORDER BY due_at LIMIT ?',
      ),
    };
  }

  async schedule(items: ScheduledItem[]): Promise<void> {
    sqliteCall('schedule', () => this.db.transaction(() => items.forEach((item) => this.sql.insert.run(item.id, item.dueAt, item.profileId, JSON.stringify(item.data))))());
  }

  /**
   * Leases what is due. A read looks first: the UPDATE takes the file's write lock even when
   * nothing is due, and the store's writer thread commits to this file too, so a lease on every
   * poll would make this thread wait (SQLite's busy handler sleeps) on the thread's commits.
   */
  async leaseDue(now: number, max: number, owner: string, leaseMs: number): Promise<ScheduledItem[]> {
    return sqliteCall('schedule', () => (this.sql.anyDue.get(now, now) ? this.sql.lease.all(owner, now + leaseMs, now, now, max).map(toItem) : []));
  }

  async complete(id: string): Promise<boolean> {
    return sqliteCall('schedule', () => this.sql.complete.run(id).changes === 1);
  }

  async list(limit: number, profileId?: string): Promise<Array<ScheduledItem & { leasedUntil: number | null }>> {
    const rows = sqliteCall('schedule', () => (profileId === undefined ? this.sql.list.all(limit) : this.sql.listOf.all(profileId, limit)));
    return rows.map((row) => ({ ...toItem(row), leasedUntil: row.leased_until > 0 ? row.leased_until : null }));
  }

  close(): void {
    this.db.close();
  }
}

function toItem(row: Row): ScheduledItem {
  return { id: row.id, dueAt: row.due_at, profileId: row.profile_id, data: JSON.parse(row.data) as unknown };
}
