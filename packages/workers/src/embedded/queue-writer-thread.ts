import { workerData } from 'node:worker_threads';
import { QUEUE_CACHE_KB, type QueueWrite, type QueueWriteResult, type ReplayOutcome } from './queue-writes.js';
import { openDatabase } from './sqlite.js';
import { serveWrites } from './writer-thread-loop.js';

interface DeadLetterRow {
  id: number;
  topic: string;
  key: string;
  data: Buffer;
}

/** The embedded queue's writer thread: its own connection to the queue file (writer-thread-loop). */
const db = openDatabase((workerData as { file: string }).file, { cacheKb: QUEUE_CACHE_KB });
const sql = {
  insert: db.prepare('INSERT INTO messages (topic, key, data, published_at) VALUES (?, ?, ?, ?)'),
  remove: db.prepare('DELETE FROM messages WHERE seq = ?'),
  redelivered: db.prepare('UPDATE messages SET redeliveries = ? WHERE seq = ?'),
  deadLetter: db.prepare(
    'INSERT INTO dead_letters (topic, subscription, key, data, reason, failed_at, redeliveries) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ),
  deadLetterById: db.prepare<[number], DeadLetterRow>('SELECT id, topic, key, data FROM dead_letters WHERE id = ?'),
  allDeadLetters: db.prepare<[], DeadLetterRow>('SELECT id, topic, key, data FROM dead_letters ORDER BY id'),
  removeDeadLetter: db.prepare('DELETE FROM dead_letters WHERE id = ?'),
};

serveWrites(db, apply);

function apply(write: QueueWrite): QueueWriteResult {
  switch (write.op) {
    case 'insert':
      sql.insert.run(write.topic, write.key, write.data, write.publishedAt);
      return undefined;
    case 'remove':
      sql.remove.run(write.seq);
      return undefined;
    case 'redelivered':
      sql.redelivered.run(write.count, write.seq);
      return undefined;
    case 'dead-letter':
      sql.deadLetter.run(write.topic, write.subscription, write.key, write.data, write.reason, write.failedAt, write.redeliveries);
      if (write.removeSeq !== undefined) sql.remove.run(write.removeSeq);
      return undefined;
    case 'replay':
      return replay(write.ids);
  }
}

/** Moves dead letters back to their topics, oldest first, inside the transaction (never lost, never twice). */
function replay(ids: string[] | undefined): ReplayOutcome {
  const notFound: string[] = [];
  let rows: DeadLetterRow[];
  if (!ids) rows = sql.allDeadLetters.all();
  else {
    const found = new Map<number, DeadLetterRow>();
    for (const id of new Set(ids)) {
      const row = /^[1-9]\d{0,14}$/.test(id) ? sql.deadLetterById.get(Number(id)) : undefined;
      if (row) found.set(row.id, row);
      else notFound.push(id);
    }
    rows = [...found.values()].sort((a, b) => a.id - b.id);
  }
  const perTopic = new Map<string, number>();
  const now = Date.now();
  for (const row of rows) {
    sql.insert.run(row.topic, row.key, row.data, now);
    sql.removeDeadLetter.run(row.id);
    perTopic.set(row.topic, (perTopic.get(row.topic) ?? 0) + 1);
  }
  return { perTopic: [...perTopic], notFound };
}
