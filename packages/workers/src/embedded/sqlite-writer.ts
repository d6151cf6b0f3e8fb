import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriteAnswer } from './writer-messages.js';

/** The writer threads there are: each a module of its own (queue-writer-thread.js, store-writer-thread.js). */
export type WriterThread = 'queue' | 'store';

interface Pending<Result> {
  resolve(results: Result[]): void;
  reject(error: Error): void;
}

export interface SqliteWriterOptions {
  /** The SQLite file the thread writes. */
  file: string;
  thread: WriterThread;
  /** The error a failed write rejects with (the caller's kind of outage: retried, never a dead letter). */
  unavailable(reason: string): Error;
  /**
   * The thread's old generation at most, in MB (default: V8's own). The queue's thread gets
   * bodies as one transferred buffer and needs little; the store's gets its rows as strings,
   * as large as a collector group's profiles, sessions and events.
   */
  heapMb?: number;
  /**
   * A thread that died is replaced at the next write (its writes were refused, uncommitted), so
   * that the work retried after the outage goes on. Without it the writer stays failed until the
   * process restarts, and says so (`failed`: the queue's readiness).
   */
  respawn?: boolean;
}

/**
 * The main thread's side of a writer thread (the embedded queue's, the embedded store's): its
 * own connection to one SQLite file, so that no fsync ever blocks the request thread. `write`
 * hands a group of writes that must commit together; the promise settles once they are durable
 * (fsync) or failed. Writes
 * handed in one event-loop turn travel in one message, and while the thread commits, what
 * arrives waits here and goes in one message when it answers: one message per commit, not
 * one per loop turn (each postMessage costs about 10 µs of this thread, whatever its size).
 */
export class SqliteWriter<Write extends object, Result> {
  private worker: Worker;
  private readonly pending = new Map<number, Pending<Result>>();
  private nextTicket = 1;
  private outbox: { tickets: number[]; writes: Write[][] } = { tickets: [], writes: [] };
  private scheduled = false;
  /** Tickets handed to the thread and not answered yet. */
  private awaiting = 0;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  private readonly unavailable: (reason: string) => Error;

  constructor(private readonly options: SqliteWriterOptions) {
    this.unavailable = options.unavailable;
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const { thread, file, heapMb } = this.options;
    // No inherited node flags: some (--input-type, --eval) make no sense for a worker file.
    const worker = new Worker(threadFile(thread), {
      workerData: { file },
      execArgv: [],
      resourceLimits: heapMb === undefined ? { maxYoungGenerationSizeMb: 4 } : { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: heapMb },
    });
    // A replaced thread's late events are not this writer's any more.
    worker.on('message', (answer: WriteAnswer<Result>) => {
      if (worker === this.worker) this.settle(answer);
    });
    worker.on('error', (error) => {
      if (worker === this.worker) this.failAll(error);
    });
    worker.on('exit', (code) => {
      if (worker === this.worker) this.failAll(new Error(`${thread} writer thread exited (${code})`));
    });
    return worker;
  }

  /** The thread died: nothing can be written until the process restarts (the queue's readiness says so). */
  get failed(): boolean {
    return this.failure !== undefined && this.closing === undefined;
  }

  /** Rejects with the `unavailable` error (an outage: retried, never a dead letter) when the write fails. */
  write(writes: Write[]): Promise<Result[]> {
    if (this.closing) return Promise.reject(this.unavailable('the writer is closed'));
    if (this.failure) {
      if (!this.options.respawn) return Promise.reject(this.unavailable(this.failure.message));
      // A new thread first: one that cannot start (no threads left) leaves the writer failed, and says so.
      try {
        this.worker = this.spawn();
      } catch (error) {
        return Promise.reject(this.unavailable(`cannot start a new writer thread: ${(error as Error).message}`));
      }
      this.failure = undefined;
    }
    const ticket = this.nextTicket++;
    return new Promise((resolve, reject) => {
      this.pending.set(ticket, { resolve, reject });
      this.outbox.tickets.push(ticket);
      this.outbox.writes.push(writes);
      if (this.awaiting === 0) this.schedule();
    });
  }

  /** Commits what was handed in, then stops the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.post();
      if (!this.failure) {
        const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
        this.worker.postMessage('close');
        await exited;
      }
    })();
    return this.closing;
  }

  /** Next loop turn: the lanes cut in this one travel in one message. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.post());
  }

  private post(): void {
    this.scheduled = false;
    if (this.outbox.tickets.length === 0) return;
    const outbox = this.outbox;
    this.outbox = { tickets: [], writes: [] };
    this.awaiting += outbox.tickets.length;
    const packed = packData(outbox.writes);
    this.worker.postMessage(packed ? { tickets: outbox.tickets, writes: packed.writes } : outbox, packed ? [packed.buffer] : []);
  }

  private settle(answer: WriteAnswer<Result>): void {
    answer.tickets.forEach((ticket, i) => {
      const pending = this.pending.get(ticket);
      if (!pending) return;
      this.pending.delete(ticket);
      this.awaiting -= 1;
      if ('error' in answer) pending.reject(this.unavailable(answer.error));
      else pending.resolve(answer.results[i] ?? []);
    });
    // The thread is free: what waited meanwhile goes (after this turn's callbacks added theirs).
    if (this.awaiting === 0 && this.outbox.tickets.length > 0) this.schedule();
  }

  /** Every write not answered yet fails, those still waiting here too (none of them is ever sent later). */
  private failAll(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.unavailable(error.message));
    this.pending.clear();
    this.awaiting = 0;
    this.outbox = { tickets: [], writes: [] };
  }
}

/**
 * The writes' bodies copied into one buffer of their exact size, which the message transfers
 * (no second copy), each write's `data` a view into it. Posted as they are, bodies that are
 * views into Node's 8 KB buffer pool would each be cloned with their whole pool slab: measured
 * 6.4 times the bytes of the bodies, and the largest single cost of the edge's thread.
 */
function packData<Write extends object>(groups: Write[][]): { writes: Write[][]; buffer: ArrayBuffer } | undefined {
  let total = 0;
  for (const group of groups) for (const write of group) if (hasData(write)) total += write.data.byteLength;
  if (total === 0) return undefined;
  const packed = Buffer.allocUnsafeSlow(total);
  let at = 0;
  const writes = groups.map((group) =>
    group.map((write): Write => {
      if (!hasData(write)) return write;
      packed.set(write.data, at);
      const data = packed.subarray(at, at + write.data.byteLength);
      at += write.data.byteLength;
      return { ...write, data };
    }),
  );
  return { writes, buffer: packed.buffer as ArrayBuffer };
}

/** A write that carries bytes (the queue's inserts and dead letters). */
function hasData<Write extends object>(write: Write): write is Write & { data: Uint8Array } {
  return 'data' in write && write.data instanceof Uint8Array;
}

/** The thread's compiled module; under the test runner this file runs from src/, the thread from dist/. */
function threadFile(thread: WriterThread): URL {
  const here = new URL(`./${thread}-writer-thread.js`, import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL(here.href.replace('/src/', '/dist/'));
}
