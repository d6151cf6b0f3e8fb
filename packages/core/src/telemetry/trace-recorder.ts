import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { throttledWarning } from '../logging/throttled-warning.js';
import type { EncodedTrace, TraceEntry, TraceStore } from '../ports/trace.js';
import type { Cell } from './families.js';

/** Where a stage records where an event has been: never waits, never throws. */
export interface TraceSink {
  /** The entry may be written out later (at the end of the loop turn, or in a batch): it must not change once recorded. */
  record(entry: TraceEntry): void;
}

export interface TraceRecorderOptions {
  store: Pick<TraceStore, 'append' | 'keep' | 'encode' | 'appendEncoded'>;
  /** Longest an entry waits before it is appended. */
  flushMs?: number;
  /** Entries appended in one call at least, when that many wait; a full batch goes at once. */
  batchSize?: number;
  /** Entries kept while the store is slow or down; more are dropped (counted). */
  maxBuffered?: number;
  /**
   * For a store without `keep` (one that encodes, or appends entries as they are): how long
   * entries wait for more before they are handed over (default 5 ms; 0: at the end of each loop
   * turn). Short enough that they still die young (a busy edge's young generation is collected
   * every 15-30 ms).
   */
  gatherMs?: number;
  counts: { appended: Cell; dropped: Cell; failed: Cell };
  logger: Logger;
}

/** How often a failing trace store is reported in the log. */
const WARN_EVERY_MS = 30_000;
/** Entries a loop turn hands over at most in one go (more in one turn go sooner). */
const TURN_ENTRIES = 128;

/** A turn's entries waiting for an append: as the store wrote them out (`encode`), or as they are. */
type Held = EncodedTrace | readonly TraceEntry[];

const isEntries = (held: Held): held is readonly TraceEntry[] => Array.isArray(held);
const heldEntries = (held: Held): number => (isEntries(held) ? held.length : held.entries);

/**
 * Gathers trace entries and hands them over every 128 entries, or else at the end of the loop
 * turn to a store that keeps entries at once (`keep`, in this process), in one call, and after
 * `gatherMs` to any other store: there they are written out at once (`encode`, when the store
 * has it) and buffered, then appended in batches (every `flushMs`, or at `batchSize` entries),
 * one append at a time. Either way the entries die young. A bounded buffer: when the store
 * cannot keep up, new entries are dropped and counted, and no stage ever waits for the trace.
 * `close` appends what is left.
 */
export class TraceRecorder implements TraceSink {
  private buffer: Held[] = [];
  /** Entries in `buffer`. */
  private buffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly warn: ReturnType<typeof throttledWarning>;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly gatherMs: number;
  private readonly store: TraceRecorderOptions['store'];
  private turn: TraceEntry[] = [];
  /** Whether a hand-over of the entries gathered so far is scheduled. */
  private turnScheduled = false;
  private closed = false;

  constructor(private readonly options: TraceRecorderOptions) {
    this.store = options.store;
    this.flushMs = options.flushMs ?? 200;
    this.batchSize = options.batchSize ?? 500;
    this.gatherMs = options.gatherMs ?? 5;
    // A whole turn must fit in an empty buffer.
    this.maxBuffered = Math.max(TURN_ENTRIES, options.maxBuffered ?? 20_000);
    this.warn = throttledWarning(options.logger, WARN_EVERY_MS);
    if (!this.store.encode !== !this.store.appendEncoded) throw new Error('a trace store that encodes entries must both encode and append what it encoded');
  }

  record(entry: TraceEntry): void {
    if (this.closed) {
      // Nothing appends any more (the store's connection may be gone): counted, never kept.
      this.options.counts.dropped.value += 1;
      return;
    }
    this.turn.push(entry);
    if (this.turn.length >= TURN_ENTRIES) this.endTurn();
    else if (!this.turnScheduled) {
      this.turnScheduled = true;
      const end = (): void => {
        this.turnScheduled = false;
        this.endTurn();
      };
      // A store that keeps entries at once gets each loop turn's. For any other, turns are
      // gathered for a few milliseconds: an edge on Pulsar records a turn per broker receipt,
      // about 3 entries, and writing out so few at a time cost more than the entries.
      if (this.store.keep || this.gatherMs === 0) setImmediate(end);
      else setTimeout(end, this.gatherMs).unref();
    }
  }

  /** This turn's entries to the store, or written out into the buffer: counted, never the stage's problem. */
  private endTurn(): void {
    const entries = this.turn;
    if (entries.length === 0) return;
    this.turn = [];
    if (!this.store.keep) return this.hold(entries);
    const kept = this.count(() => this.store.keep?.(entries), entries.length);
    if (kept) this.options.counts.appended.value += kept.kept;
  }

  /**
   * Counts what the store did with a turn's entries (`keep` or `encode`): kept or held, dropped,
   * failed; a store that throws fails them all.
   */
  private count<T extends { dropped: number; failed: number; error?: unknown }>(write: () => T | undefined, entries: number): T | undefined {
    const { counts } = this.options;
    try {
      const done = write();
      if (!done) return undefined;
      counts.dropped.value += done.dropped;
      counts.failed.value += done.failed;
      // An entry the store cannot write (a detail JSON cannot write).
      if (done.failed > 0) this.warn(`trace entries not kept: ${errorMessage(done.error)}`, { entries: done.failed });
      return done;
    } catch (error) {
      counts.failed.value += entries;
      this.warn(`trace entries not kept: ${errorMessage(error)}`, { entries });
      return undefined;
    }
  }

  /** Buffers a turn's entries for an append (written out at once when the store can), or drops them when the buffer is full. */
  private hold(entries: readonly TraceEntry[]): void {
    // Checked before the store writes them out: a store may count what it encodes against its own bound.
    if (this.buffered + entries.length > this.maxBuffered) {
      this.options.counts.dropped.value += entries.length;
      return;
    }
    let held: Held | undefined = entries;
    if (this.store.encode) {
      held = this.count(() => this.store.encode?.(entries), entries.length);
      if (!held) return;
    }
    const size = heldEntries(held);
    if (size === 0) return;
    this.buffer.push(held);
    this.buffered += size;
    if (this.buffered >= this.batchSize && !this.flushing) this.flushSoon(0);
    else if (!this.timer) this.flushSoon(this.flushMs);
  }

  /** Appends everything recorded so far, and what is recorded while it waits for an append. */
  async flush(): Promise<void> {
    this.endTurn();
    while (this.flushing || this.buffer.length > 0 || this.turn.length > 0) {
      if (this.flushing) await this.flushing;
      else if (this.turn.length > 0) this.endTurn();
      else await this.appendBatch();
    }
  }

  /** Appends what is left; entries recorded after it began are still appended, later ones only counted (dropped). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    // A hand-over still scheduled finds nothing: later entries are only counted.
    this.closed = true;
  }

  private flushSoon(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.flushing) void this.appendBatch();
    }, ms);
    this.timer.unref();
  }

  /** Whole turns from the buffer, at least `batchSize` entries when that many wait. */
  private takeBatch(): { batch: Held[]; entries: number } {
    let taken = 0;
    let entries = 0;
    while (taken < this.buffer.length && entries < this.batchSize) entries += heldEntries(this.buffer[taken++] as Held);
    const batch = this.buffer.splice(0, taken);
    this.buffered -= entries;
    return { batch, entries };
  }

  private appendBatch(): Promise<void> {
    const { batch, entries } = this.takeBatch();
    if (batch.length === 0) return Promise.resolve();
    const { counts } = this.options;
    this.flushing = this.appendHeld(batch)
      .then(
        (kept) => {
          counts.appended.value += kept;
          counts.dropped.value += entries - kept;
        },
        (error: unknown) => {
          counts.failed.value += entries;
          this.warn(`trace entries not kept: ${errorMessage(error)}`, { entries });
        },
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.buffered >= this.batchSize) void this.appendBatch();
        else if (this.buffered > 0 && !this.timer) this.flushSoon(this.flushMs);
      });
    return this.flushing;
  }

  /** The store's append of what was held (each held turn is of one kind: the store either encodes or not). */
  private appendHeld(batch: readonly Held[]): Promise<number> {
    try {
      if (this.store.appendEncoded) return this.store.appendEncoded(batch.filter((held): held is EncodedTrace => !isEntries(held)));
      return this.store.append(batch.flatMap((held) => (isEntries(held) ? held : [])));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
