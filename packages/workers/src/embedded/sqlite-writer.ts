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
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending<Result>>();
  private nextTicket = 1;
  private outbox: { tickets: number[]; writes: Write[][] } = { tickets: [], writes: [] };
  private scheduled = false;
  /** Tickets handed to the thread and not answered yet. */
  private awaiting = 0;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  private readonly unavailable: (reason: string) => Error;

  constructor(options: SqliteWriterOptions) {
    this.unavailable = options.unavailable;
    // No inherited node flags: some (--input-type, --eval) make no sense for a worker file.
    // A small heap: the thread only copies buffers and strings into SQLite.
    this.worker = new Worker(threadFile(options.thread), { workerData: { file: options.file }, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 } });
    this.worker.on('message', (answer: WriteAnswer<Result>) => this.settle(answer));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`queue writer thread exited (${code})`)));
  }

  /** The thread died: nothing can be written until the process restarts (the queue's readiness says so). */
  get failed(): boolean {
    return this.failure !== undefined && this.closing === undefined;
  }

  /** Rejects with the `unavailable` error (an outage: retried, never a dead letter) when the write fails. */
  write(writes: Write[]): Promise<Result[]> {
    if (this.failure) return Promise.reject(this.unavailable(this.failure.message));
    if (this.closing) return Promise.reject(this.unavailable('the writer is closed'));
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

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.unavailable(error.message));
    this.pending.clear();
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
