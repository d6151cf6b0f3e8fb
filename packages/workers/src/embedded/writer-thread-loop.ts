import { parentPort } from 'node:worker_threads';
import type { SqliteDatabase } from './sqlite.js';
import type { WriteAnswer, WriteRequest } from './writer-messages.js';

/**
 * A writer thread's loop (queue-writer-thread, store-writer-thread): every request that
 * arrives while a transaction commits waits for the next one, so many writes share one fsync
 * (group commit), and the main thread never blocks on the disk. `apply` runs each write inside
 * the transaction; a write that throws fails the whole transaction, and every ticket in it.
 */
export function serveWrites<Write, Result>(db: SqliteDatabase, apply: (write: Write) => Result): void {
  const port = parentPort;
  if (!port) throw new Error('a writer thread runs as a worker thread');
  let queued: Array<WriteRequest<Write>> = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const requests = queued;
    queued = [];
    if (requests.length === 0) return;
    const tickets = requests.flatMap((request) => request.tickets);
    let answer: WriteAnswer<Result>;
    try {
      const results = db.transaction(() => requests.flatMap((request) => request.writes.map((writes) => writes.map(apply))))();
      answer = { tickets, results };
    } catch (error) {
      answer = { tickets, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(answer);
  };

  port.on('message', (message: WriteRequest<Write> | 'close') => {
    if (message === 'close') {
      flush();
      db.close();
      port.close();
      return;
    }
    queued.push(message);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
