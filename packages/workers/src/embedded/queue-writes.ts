/**
 * The writes of the embedded queue, as data: the writer thread applies them, many per
 * transaction, so the request thread never waits on an fsync.
 */
export type QueueWrite =
  | { op: 'insert'; topic: string; key: string; data: Uint8Array; publishedAt: number }
  | { op: 'remove'; seq: number }
  | { op: 'redelivered'; seq: number; count: number }
  | { op: 'dead-letter'; topic: string; subscription: string; key: string; data: Uint8Array; reason: string; failedAt: string; redeliveries: number; removeSeq?: number }
  | { op: 'replay'; ids?: string[] };

/** What `replay` did: letters moved back per topic, and ids that were not found. */
export interface ReplayOutcome {
  perTopic: Array<[string, number]>;
  notFound: string[];
}

export type QueueWriteResult = ReplayOutcome | undefined;

/**
 * The page cache of each of the queue's connections, in KiB: the writer appends at the end of
 * the table and its index and removes from their start; the reader reads what was just
 * appended. Neither revisits much, so 2 MB holds what they touch again.
 */
export const QUEUE_CACHE_KB = 2048;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  key TEXT NOT NULL,
  data BLOB NOT NULL,
  published_at INTEGER NOT NULL,
  redeliveries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_topic_seq ON messages (topic, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  subscription TEXT NOT NULL,
  key TEXT NOT NULL,
  data BLOB NOT NULL,
  reason TEXT NOT NULL,
  failed_at TEXT NOT NULL,
  redeliveries INTEGER NOT NULL
);`;
