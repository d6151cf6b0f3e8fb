import type { SqliteDatabase } from './sqlite.js';

/**
 * Collects the writes of one event-loop turn and commits them in one transaction, so many
 * concurrent requests share one fsync. Each caller's promise settles with the commit.
 */
export class GroupCommit {
  private pending: Array<{ write: () => void; resolve: () => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly db: SqliteDatabase) {}

  submit(write: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const item of batch) item.write();
      })();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) item.resolve();
  }
}
