import { BatchBudget, type ConsumerOptions, type DeadLetter, type DeadLetterReplay, type DeadLetterSelection, type OutgoingMessage, type Queue, type QueueConsumer, type QueueMessage, type QueueProducer, QueueUnavailableError, errorMessage, type TopicBacklog, type TopicRef, type TopicStatus } from '@inflow/core';
import { SqliteWriter } from './sqlite-writer.js';
import { QUEUE_CACHE_KB, SCHEMA, type QueueWrite, type QueueWriteResult, type ReplayOutcome } from './queue-writes.js';
import { openDatabase, type SqliteDatabase } from './sqlite.js';

export interface SqliteQueueOptions {
  file: string;
  /** Shown in partition names, as Pulsar would: persistent://{tenant}/{namespace}/{topic}. */
  tenant: string;
  /** Messages a topic may hold before producers are refused with 503. */
  maxBacklog: number;
  /** Topics the backlog endpoint knows even before anything was sent to them. */
  topics: TopicRef[];
  /** Longest delay between redeliveries of one message. */
  maxRedeliveryDelayMs?: number;
}

interface Row {
  seq: number;
  key: string;
  data: Buffer;
  published_at: number;
  redeliveries: number;
}

interface DeadLetterRow {
  id: number;
  topic: string;
  subscription: string;
  key: string;
  data: Buffer;
  reason: string;
  failed_at: string;
  redeliveries: number;
}

interface TopicState {
  name: string;
  cursor: number;
  backlog: number;
  subscription: string | null;
  redeliver: Array<{ message: QueueMessage; visibleAt: number }>;
  waiters: Set<() => void>;
}

/**
 * The embedded queue: one SQLite file, durable on commit, at-least-once delivery. Messages
 * stay in the file until acknowledged; after a restart every unacknowledged message is
 * delivered again. Each topic has one shared subscription, which is all the embedded
 * engine needs. Every write goes through a writer thread with its own connection (group
 * commit, fsync off the request thread); this thread only reads (WAL: it sees each commit).
 */
export class SqliteQueue implements Queue {
  private readonly db: SqliteDatabase;
  private readonly writer: SqliteWriter<QueueWrite, QueueWriteResult>;
  private readonly topics = new Map<string, TopicState>();
  private closed = false;
  private readonly statements;

  constructor(private readonly options: SqliteQueueOptions) {
    this.db = openDatabase(options.file, { cacheKb: QUEUE_CACHE_KB });
    this.db.exec(SCHEMA);
    this.writer = new SqliteWriter({ file: options.file, thread: 'queue', heapMb: 64, unavailable: (reason) => new QueueUnavailableError(`embedded queue: ${reason}`, 1) });
    this.statements = {
      fetch: this.db.prepare<[string, number, number], Row>(
        'SELECT seq, key, data, published_at, redeliveries FROM messages WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      deadLetters: this.db.prepare<[number], DeadLetterRow>(
        'SELECT id, topic, subscription, key, data, reason, failed_at, redeliveries FROM dead_letters ORDER BY id DESC LIMIT ?',
      ),
      deadLettersPerTopic: this.db.prepare<[], { topic: string; n: number }>('SELECT topic, COUNT(*) AS n FROM dead_letters GROUP BY topic'),
    };
    const counts = this.db.prepare<[], { topic: string; n: number }>('SELECT topic, COUNT(*) AS n FROM messages GROUP BY topic').all();
    for (const topic of options.topics) this.topic(topic);
    for (const { topic, n } of counts) this.stateByName(topic).backlog = n;
  }

  healthy(): boolean {
    return !this.closed && !this.writer.failed;
  }

  producer(topic: TopicRef): QueueProducer {
    const state = this.topic(topic);
    return {
      send: async (messages: OutgoingMessage[]) => {
        if (this.closed) throw new QueueUnavailableError('queue is closed', 5);
        if (state.backlog + messages.length > this.options.maxBacklog) {
          throw new QueueUnavailableError(`queue ${state.name} is full (${state.backlog} messages waiting)`, 5);
        }
        state.backlog += messages.length;
        const now = Date.now();
        try {
          await this.writer.write(messages.map((m) => ({ op: 'insert', topic: state.name, key: m.key, data: m.data, publishedAt: now })));
        } catch (error) {
          state.backlog -= messages.length;
          throw new QueueUnavailableError(`queue ${state.name} could not store the message: ${errorMessage(error)}`, 1, { cause: error });
        }
        this.wake(state);
      },
    };
  }

  /** Embedded topics keep every message until it is acknowledged: knowing the topic is all it takes. */
  async ensureTopic(topic: TopicRef): Promise<void> {
    this.topic(topic);
  }

  consumer(topic: TopicRef, options: ConsumerOptions): QueueConsumer {
    const state = this.topic(topic);
    state.subscription ??= options.subscription;
    const maxDelay = this.options.maxRedeliveryDelayMs ?? 60_000;
    let open = true;
    const consumer: QueueConsumer = {
      receive: async (max, waitMs, maxBytes = Infinity) => {
        // Until something is there or the wait is over (a timer may fire a little early).
        const until = Date.now() + waitMs;
        for (;;) {
          if (!open) return [];
          const taken = this.take(state, max, maxBytes);
          if (taken.length > 0 || Date.now() >= until) return taken;
          await this.waitFor(state, until - Date.now());
        }
      },
      ack: async (messages) => {
        await this.writer.write(messages.map((message) => ({ op: 'remove', seq: Number(message.id) })));
        state.backlog -= messages.length;
      },
      nack: async (messages, reason) => {
        const now = Date.now();
        for (const message of messages) {
          const count = message.redeliveryCount + 1;
          if (count > options.maxRedeliveries) {
            await consumer.deadLetter(message, `${reason} (after ${count} deliveries)`);
            continue;
          }
          await this.writer.write([{ op: 'redelivered', seq: Number(message.id), count }]);
          const delay = Math.min(maxDelay, options.redeliveryDelayMs * 2 ** (count - 1));
          state.redeliver.push({ message: { ...message, redeliveryCount: count }, visibleAt: now + delay });
        }
      },
      deadLetter: async (message, reason) => {
        await this.writer.write([deadLetterWrite(state.name, options.subscription, message, message.data, reason, Number(message.id))]);
        state.backlog -= 1;
      },
      deadLetterPart: async (message, data, reason) => {
        await this.writer.write([deadLetterWrite(state.name, options.subscription, message, data, reason)]);
      },
      close: async () => {
        open = false;
        this.wake(state);
      },
    };
    return consumer;
  }

  async backlog(topic: TopicRef): Promise<TopicBacklog | null> {
    const state = this.topics.get(topicName(topic));
    return state ? this.backlogOf(state) : null;
  }

  async backlogs(): Promise<TopicStatus[]> {
    const letters = new Map(this.statements.deadLettersPerTopic.all().map(({ topic, n }) => [topic, n]));
    const names = [...new Set([...this.topics.keys(), ...letters.keys()])].sort();
    return names.map((name) => {
      const state = this.topics.get(name);
      return { topic: name, ...(state ? this.backlogOf(state) : { total: 0, backlog: [] }), deadLetters: letters.get(name) ?? 0 };
    });
  }

  private backlogOf(state: TopicState): TopicBacklog {
    // The count is this process's: messages another process wrote to the file (a test, a tool)
    // are counted only from the next start, so taking them could make it go below zero.
    const count = Math.max(0, state.backlog);
    return {
      total: count,
      backlog: [{ partition: `persistent://${this.options.tenant}/${state.name}`, subscription: state.subscription ?? '', count }],
    };
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.statements.deadLetters.all(limit).map((row) => ({
      id: String(row.id),
      topic: row.topic,
      subscription: row.subscription,
      key: row.key,
      data: row.data,
      reason: row.reason,
      failedAt: row.failed_at,
      redeliveryCount: row.redeliveries,
    }));
  }

  /**
   * Moves dead letters back to their topics, oldest first: each letter's insert into
   * messages and its delete from dead_letters commit in one transaction, so a letter is
   * never lost nor kept twice. The rows are read inside that transaction, so concurrent
   * replays cannot both take one letter.
   */
  async replayDeadLetters(selection: DeadLetterSelection): Promise<DeadLetterReplay> {
    if (this.closed) throw new QueueUnavailableError('queue is closed', 5);
    const [result] = await this.writer.write([selection.ids ? { op: 'replay', ids: selection.ids } : { op: 'replay' }]);
    const { perTopic, notFound } = result as ReplayOutcome;
    let replayed = 0;
    for (const [name, count] of perTopic) {
      const state = this.stateByName(name);
      state.backlog += count;
      replayed += count;
      this.wake(state);
    }
    return { replayed, notFound };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes already handed to the writer commit before the file closes.
    await this.writer.close();
    for (const state of this.topics.values()) this.wake(state);
    this.db.close();
  }

  /** Up to `max` messages and `maxBytes` bytes of data (at least one when one is ready): redeliveries that are due first, then new ones in order. */
  private take(state: TopicState, max: number, maxBytes: number): QueueMessage[] {
    if (this.closed) return [];
    const now = Date.now();
    const out: QueueMessage[] = [];
    const budget = new BatchBudget(max, maxBytes);
    const later: TopicState['redeliver'] = [];
    for (const item of state.redeliver) {
      if (item.visibleAt <= now && budget.admits(item.message.data.byteLength)) out.push(item.message);
      else later.push(item);
    }
    let cursor = state.cursor;
    if (budget.room > 0) {
      // Row by row: the rows past the byte budget stay unread, for the next call.
      for (const row of this.statements.fetch.iterate(state.name, cursor, budget.room)) {
        if (!budget.admits(row.data.byteLength)) break;
        cursor = row.seq;
        out.push({
          id: String(row.seq),
          key: row.key,
          data: row.data,
          redeliveryCount: row.redeliveries,
          publishedAt: row.published_at,
        });
      }
    }
    // Only once every row was read: a read that fails leaves the topic as it was, for the next call.
    state.redeliver = later;
    state.cursor = cursor;
    return out;
  }

  private waitFor(state: TopicState, waitMs: number): Promise<void> {
    const nextRedelivery = state.redeliver.reduce((min, item) => Math.min(min, item.visibleAt), Infinity);
    const ms = Math.max(1, Math.min(waitMs, nextRedelivery - Date.now()));
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        state.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      state.waiters.add(done);
    });
  }

  private wake(state: TopicState): void {
    for (const waiter of [...state.waiters]) waiter();
  }

  private topic(ref: TopicRef): TopicState {
    return this.stateByName(topicName(ref));
  }

  private stateByName(name: string): TopicState {
    let state = this.topics.get(name);
    if (!state) {
      state = { name, cursor: 0, backlog: 0, subscription: null, redeliver: [], waiters: new Set() };
      this.topics.set(name, state);
    }
    return state;
  }
}

function deadLetterWrite(topic: string, subscription: string, message: QueueMessage, data: Uint8Array, reason: string, removeSeq?: number): QueueWrite {
  return {
    op: 'dead-letter',
    topic,
    subscription,
    key: message.key,
    data,
    reason,
    failedAt: new Date().toISOString(),
    redeliveries: message.redeliveryCount,
    ...(removeSeq === undefined ? {} : { removeSeq }),
  };
}

export function topicName(ref: TopicRef): string {
  return `${ref.namespace}/${ref.name}`;
}
