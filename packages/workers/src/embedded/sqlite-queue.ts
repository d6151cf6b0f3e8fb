import { QueueUnavailableError } from '../errors.js';
import type {
  ConsumerOptions,
  DeadLetter,
  DeadLetterReplay,
  DeadLetterSelection,
  OutgoingMessage,
  Queue,
  QueueConsumer,
  QueueMessage,
  QueueProducer,
  TopicBacklog,
  TopicRef,
} from '../ports/queue.js';
import { GroupCommit } from './group-commit.js';
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

const SCHEMA = `
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

/**
 * The embedded queue: one SQLite file, durable on commit, at-least-once delivery. Messages
 * stay in the file until acknowledged; after a restart every unacknowledged message is
 * delivered again. Each topic has one shared subscription, which is all the embedded
 * engine needs (one collector and one storage stage in the process).
 */
export class SqliteQueue implements Queue {
  private readonly db: SqliteDatabase;
  private readonly commits: GroupCommit;
  private readonly topics = new Map<string, TopicState>();
  private closed = false;
  private readonly statements;

  constructor(private readonly options: SqliteQueueOptions) {
    this.db = openDatabase(options.file);
    this.db.exec(SCHEMA);
    this.commits = new GroupCommit(this.db);
    this.statements = {
      insert: this.db.prepare('INSERT INTO messages (topic, key, data, published_at) VALUES (?, ?, ?, ?)'),
      fetch: this.db.prepare<[string, number, number], Row>(
        'SELECT seq, key, data, published_at, redeliveries FROM messages WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      remove: this.db.prepare('DELETE FROM messages WHERE seq = ?'),
      redelivered: this.db.prepare('UPDATE messages SET redeliveries = ? WHERE seq = ?'),
      deadLetter: this.db.prepare(
        'INSERT INTO dead_letters (topic, subscription, key, data, reason, failed_at, redeliveries) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deadLetters: this.db.prepare<[number], DeadLetterRow>(
        'SELECT id, topic, subscription, key, data, reason, failed_at, redeliveries FROM dead_letters ORDER BY id DESC LIMIT ?',
      ),
      deadLetterById: this.db.prepare<[number], DeadLetterRow>('SELECT id, topic, key, data FROM dead_letters WHERE id = ?'),
      allDeadLetters: this.db.prepare<[], DeadLetterRow>('SELECT id, topic, key, data FROM dead_letters ORDER BY id'),
      removeDeadLetter: this.db.prepare('DELETE FROM dead_letters WHERE id = ?'),
    };
    const counts = this.db.prepare<[], { topic: string; n: number }>('SELECT topic, COUNT(*) AS n FROM messages GROUP BY topic').all();
    for (const topic of options.topics) this.topic(topic);
    for (const { topic, n } of counts) this.stateByName(topic).backlog = n;
  }

  healthy(): boolean {
    return !this.closed;
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
          await this.commits.submit(() => {
            for (const message of messages) this.statements.insert.run(state.name, message.key, message.data, now);
          });
        } catch (error) {
          state.backlog -= messages.length;
          throw new QueueUnavailableError(`queue ${state.name} could not store the message`, 1, { cause: error });
        }
        this.wake(state);
      },
    };
  }

  consumer(topic: TopicRef, options: ConsumerOptions): QueueConsumer {
    const state = this.topic(topic);
    state.subscription ??= options.subscription;
    const maxDelay = this.options.maxRedeliveryDelayMs ?? 60_000;
    let open = true;
    const consumer: QueueConsumer = {
      receive: async (max, waitMs) => {
        const first = this.take(state, max);
        if (first.length > 0 || waitMs <= 0 || !open) return first;
        await this.waitFor(state, waitMs);
        return open ? this.take(state, max) : [];
      },
      ack: async (messages) => {
        await this.commits.submit(() => {
          for (const message of messages) this.statements.remove.run(Number(message.id));
        });
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
          await this.commits.submit(() => this.statements.redelivered.run(count, Number(message.id)));
          const delay = Math.min(maxDelay, options.redeliveryDelayMs * 2 ** (count - 1));
          state.redeliver.push({ message: { ...message, redeliveryCount: count }, visibleAt: now + delay });
        }
      },
      deadLetter: async (message, reason) => {
        await this.commits.submit(() => {
          this.statements.deadLetter.run(
            state.name,
            options.subscription,
            message.key,
            Buffer.from(message.data),
            reason,
            new Date().toISOString(),
            message.redeliveryCount,
          );
          this.statements.remove.run(Number(message.id));
        });
        state.backlog -= 1;
      },
      deadLetterPart: async (message, data, reason) => {
        await this.commits.submit(() => {
          this.statements.deadLetter.run(state.name, options.subscription, message.key, Buffer.from(data), reason, new Date().toISOString(), message.redeliveryCount);
        });
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
    if (!state) return null;
    return {
      total: state.backlog,
      backlog: [
        {
          partition: `persistent://${this.options.tenant}/${state.name}`,
          subscription: state.subscription ?? '',
          count: state.backlog,
        },
      ],
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
    const perTopic = new Map<string, number>();
    const notFound: string[] = [];
    await this.commits.submit(() => {
      const now = Date.now();
      for (const row of this.deadLetterRows(selection.ids, notFound)) {
        this.statements.insert.run(row.topic, row.key, row.data, now);
        this.statements.removeDeadLetter.run(row.id);
        perTopic.set(row.topic, (perTopic.get(row.topic) ?? 0) + 1);
      }
    });
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
    // Let writes already submitted in this turn commit before the file closes.
    await this.commits.submit(() => undefined);
    for (const state of this.topics.values()) this.wake(state);
    this.db.close();
  }

  /** The selected dead letters, oldest first (every one without ids); unknown ids go to `notFound`. */
  private deadLetterRows(ids: string[] | undefined, notFound: string[]): DeadLetterRow[] {
    if (!ids) return this.statements.allDeadLetters.all();
    const rows = new Map<number, DeadLetterRow>();
    for (const id of new Set(ids)) {
      const row = /^[1-9]\d{0,14}$/.test(id) ? this.statements.deadLetterById.get(Number(id)) : undefined;
      if (row) rows.set(row.id, row);
      else notFound.push(id);
    }
    return [...rows.values()].sort((a, b) => a.id - b.id);
  }

  private take(state: TopicState, max: number): QueueMessage[] {
    if (this.closed) return [];
    const now = Date.now();
    const out: QueueMessage[] = [];
    if (state.redeliver.length > 0) {
      const later: TopicState['redeliver'] = [];
      for (const item of state.redeliver) {
        if (item.visibleAt <= now && out.length < max) out.push(item.message);
        else later.push(item);
      }
      state.redeliver = later;
    }
    if (out.length < max) {
      for (const row of this.statements.fetch.all(state.name, state.cursor, max - out.length)) {
        state.cursor = row.seq;
        out.push({
          id: String(row.seq),
          key: row.key,
          data: row.data,
          redeliveryCount: row.redeliveries,
          publishedAt: row.published_at,
        });
      }
    }
    return out;
  }

  private waitFor(state: TopicState, waitMs: number): Promise<void> {
    const nextRedelivery = state.redeliver.reduce((min, item) => Math.min(min, item.visibleAt), Infinity);
    const ms = Math.max(0, Math.min(waitMs, nextRedelivery - Date.now()));
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

export function topicName(ref: TopicRef): string {
  return `${ref.namespace}/${ref.name}`;
}
