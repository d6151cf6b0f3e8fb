import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { throttledWarning } from '../logging/throttled-warning.js';
import type { KeptEntries, TraceEntry, TraceStore } from '../ports/trace.js';
import type { Cell } from './families.js';

/** Where a stage records where an event has been: never waits, never throws. */
export interface TraceSink {
  /** The entry may be written out later (at the end of the loop turn, or in a batch): it must not change once recorded. */
  record(entry: TraceEntry): void;
}

export interface TraceRecorderOptions {
  store: Pick<TraceStore, 'append' | 'keep'>;
  /** Longest an entry waits before it is appended. */
  flushMs?: number;
  /** Entries appended in one call; a full batch goes at once. */
  batchSize?: number;
  /** Entries kept while the store is slow or down; more are dropped (counted). */
  maxBuffered?: number;
  counts: { appended: Cell; dropped: Cell; failed: Cell };
  logger: Logger;
}

/** How often a failing trace store is reported in the log. */
const WARN_EVERY_MS = 30_000;
/** Entries a store in this process is handed at most in one call (more in one turn go sooner). */
const TURN_ENTRIES = 128;

/**
 * Buffers trace entries and appends them to the trace store in batches (every `flushMs`, or at
 * `batchSize` entries), one append at a time. A bounded buffer: when the store cannot keep up,
 * new entries are dropped and counted, and no stage ever waits for the trace. `close` appends
 * what is left. A store that keeps entries at once (`keep`, in this process) gets each loop
 * turn's entries in one call at the end of the turn instead: one write of many entries costs
 * a busy edge about half of what writing each entry alone did, and the entries die young.
 */
export class TraceRecorder implements TraceSink {
  private buffer: TraceEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly warn: ReturnType<typeof throttledWarning>;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  /** The store's own at-once keeping, when it has it (no promise, no timer: this turn's entries). */
  private readonly keep: ((entries: readonly TraceEntry[]) => KeptEntries) | undefined;
  private turn: TraceEntry[] = [];
  private turnScheduled = false;

  constructor(private readonly options: TraceRecorderOptions) {
    this.flushMs = options.flushMs ?? 200;
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 20_000;
    this.warn = throttledWarning(options.logger, WARN_EVERY_MS);
    this.keep = options.store.keep?.bind(options.store);
  }

  record(entry: TraceEntry): void {
    if (this.keep) {
      this.turn.push(entry);
      if (this.turn.length >= TURN_ENTRIES) this.keepTurn();
      else if (!this.turnScheduled) {
        this.turnScheduled = true;
        setImmediate(() => {
          this.turnScheduled = false;
          this.keepTurn();
        });
      }
      return;
    }
    if (this.buffer.length >= this.maxBuffered) {
      this.options.counts.dropped.value += 1;
      return;
    }
    this.buffer.push(entry);
    if (this.buffer.length >= this.batchSize && !this.flushing) this.flushSoon(0);
    else if (!this.timer) this.flushSoon(this.flushMs);
  }

  /** This turn's entries into a store that keeps them at once: counted, never the stage's problem. */
  private keepTurn(): void {
    const entries = this.turn;
    if (entries.length === 0 || !this.keep) return;
    this.turn = [];
    const { counts } = this.options;
    try {
      const { kept, dropped, failed, error } = this.keep(entries);
      counts.appended.value += kept;
      counts.dropped.value += dropped;
      counts.failed.value += failed;
      // An entry the store cannot write (a detail JSON cannot write).
      if (failed > 0) this.warn(`trace entries not kept: ${errorMessage(error)}`, { entries: failed });
    } catch (error) {
      counts.failed.value += entries.length;
      this.warn(`trace entries not kept: ${errorMessage(error)}`, { entries: entries.length });
    }
  }

  /** Appends everything buffered (waiting for an append under way first). */
  async flush(): Promise<void> {
    this.keepTurn();
    while (this.flushing || this.buffer.length > 0) {
      if (this.flushing) await this.flushing;
      else await this.appendBatch();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private flushSoon(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.flushing) void this.appendBatch();
    }, ms);
    this.timer.unref();
  }

  private appendBatch(): Promise<void> {
    const batch = this.buffer.splice(0, this.batchSize);
    if (batch.length === 0) return Promise.resolve();
    const { counts } = this.options;
    this.flushing = this.options.store
      .append(batch)
      .then(
        (kept) => {
          counts.appended.value += kept;
          counts.dropped.value += batch.length - kept;
        },
        (error: unknown) => {
          counts.failed.value += batch.length;
          this.warn(`trace entries not kept: ${errorMessage(error)}`, { entries: batch.length });
        },
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.buffer.length >= this.batchSize) void this.appendBatch();
        else if (this.buffer.length > 0 && !this.timer) this.flushSoon(this.flushMs);
      });
    return this.flushing;
  }
}
