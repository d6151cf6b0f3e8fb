import type { KeptEntries, TraceEntry, TraceStore } from '@inflow/core';
import { narrowedTo } from '../trace/narrowed-to.js';
import { readSlots, writableSlot } from '../trace/slot-json.js';

export interface MemoryTraceOptions {
  /** Entries kept at most (the oldest go first). */
  maxEntries: number;
  /** Entries older than this are gone. */
  ttlMs: number;
  /** Newest entries answered per profile (default: no bound but maxEntries). */
  profileEntries?: number;
  /** Bytes of entries (as JSON) kept; default 160 per entry of maxEntries (the buffer is allocated whole, at least 4 KB). */
  maxBytes?: number;
  now?: () => number;
}

/** Entries answered per event or request at most (as the Redis store keeps them). */
const KEY_ENTRIES = 1_000;
/**
 * An edge's entry of one event is about 120 bytes of JSON in a slot's columns when the request,
 * profile and event ids are UUIDs (each further event id about 35 more), a worker's about as
 * much, with shared details written once per slot; 160 holds maxEntries of those. The ring's
 * whole buffer ends up resident on a busy process (its write position goes round it), so this
 * is also the trace's memory: 3.2 MB at the default 20,000 entries (8 MB at 50,000, the default before).
 */
const BYTES_PER_ENTRY = 160;
/** Entries in one slot at most (a read parses a whole slot). */
const SLOT_ENTRIES = 512;

/**
 * The trace of one process (the embedded engine): the newest entries as JSON in one fixed
 * buffer used as a ring, with their places and times in typed arrays. Entries come in a loop
 * turn's batch (the TraceRecorder's `keep`) and a batch is one slot: one JSON.stringify of the
 * batch's rows and one copy into the buffer. Nothing of it stays on the JavaScript heap, so a
 * busy edge does not promote an object graph per request into the old generation (holding the
 * entries as objects cost the edge 7-9 % of its throughput, almost all of it in the garbage
 * collector), and one write per batch costs about half of one write per entry. A read looks for
 * the id's JSON text in the buffer (memmem), then parses only the slots that hold it: reads are
 * an operator's questions, rare next to the writes.
 */
export class MemoryTraceStore implements TraceStore {
  readonly #buffer: Buffer;
  /** Per slot (a ring of maxEntries): where its text starts and ends, its newest entry's time, its entries and how many of them (the oldest) are gone. */
  readonly #starts: Uint32Array;
  readonly #ends: Uint32Array;
  readonly #newest: Float64Array;
  readonly #sizes: Uint16Array;
  readonly #gone: Uint16Array;
  /** The oldest slot still kept, how many are, and the entries still kept in them. */
  #head = 0;
  #slots = 0;
  #entries = 0;
  /** Where the next slot's text goes. */
  #position = 0;
  readonly #options: Required<MemoryTraceOptions>;

  constructor(options: MemoryTraceOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError(`maxEntries must be a whole number above 0 (got ${options.maxEntries})`);
    this.#options = {
      maxEntries: options.maxEntries,
      ttlMs: options.ttlMs,
      now: options.now ?? Date.now,
      profileEntries: options.profileEntries ?? options.maxEntries,
      maxBytes: options.maxBytes ?? options.maxEntries * BYTES_PER_ENTRY,
    };
    this.#buffer = Buffer.alloc(Math.max(4096, this.#options.maxBytes));
    this.#starts = new Uint32Array(options.maxEntries);
    this.#ends = new Uint32Array(options.maxEntries);
    this.#newest = new Float64Array(options.maxEntries);
    this.#sizes = new Uint16Array(options.maxEntries);
    this.#gone = new Uint16Array(options.maxEntries);
  }

  /**
   * Keeps the entries at once, as one slot (the TraceRecorder calls this with each loop turn's
   * entries). A batch whose JSON is over a quarter of the buffer is split; one entry that alone
   * is over it is dropped, and one a detail of which JSON cannot write (a BigInt) failed.
   */
  keep(entries: readonly TraceEntry[]): KeptEntries {
    const outcome: KeptEntries = { kept: 0, dropped: 0, failed: 0 };
    if (entries.length <= SLOT_ENTRIES) this.#keepSlot(entries, outcome);
    else for (let at = 0; at < entries.length; at += SLOT_ENTRIES) this.#keepSlot(entries.slice(at, at + SLOT_ENTRIES), outcome);
    return outcome;
  }

  /** Says how many it kept: one it could not keep (too large, or not writable) is not among them. */
  append(entries: readonly TraceEntry[]): Promise<number> {
    return Promise.resolve(this.keep(entries).kept);
  }

  /** Each entry's eventIds narrowed to this event, as the Redis store keeps them. */
  byEvent(eventId: string): Promise<TraceEntry[]> {
    const found = this.#find(eventId, KEY_ENTRIES, (entry) => entry.eventIds?.includes(eventId) === true);
    return Promise.resolve(narrowedTo(eventId, found));
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return Promise.resolve(this.#find(requestId, KEY_ENTRIES, (entry) => entry.requestId === requestId));
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    return Promise.resolve(this.#find(profileId, Math.min(limit, this.#options.profileEntries), (entry) => entry.profileId === profileId));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #keepSlot(given: readonly TraceEntry[], outcome: KeptEntries): void {
    const buffer = this.#buffer;
    const { entries, json: text, failed, error } = writableSlot(given);
    outcome.failed += failed;
    if (failed > 0) outcome.error ??= error;
    if (entries.length === 0) return;
    const bytes = byteBound(text, buffer.length - this.#position, buffer.length / 4);
    if (bytes > buffer.length / 4) {
      // Too large together: each half alone; one entry too large alone is dropped.
      if (entries.length === 1) {
        outcome.dropped += 1;
        return;
      }
      const half = entries.length >>> 1;
      this.#keepSlot(entries.slice(0, half), outcome);
      this.#keepSlot(entries.slice(half), outcome);
      return;
    }
    if (bytes > buffer.length - this.#position) this.#wrap();
    const start = this.#position;
    const end = start + buffer.write(text, start, 'utf8');
    this.#makeRoom(start, end);
    const slot = (this.#head + this.#slots) % this.#starts.length;
    this.#starts[slot] = start;
    this.#ends[slot] = end;
    this.#newest[slot] = entries.reduce((newest, entry) => (entry.at > newest ? entry.at : newest), -Infinity);
    this.#sizes[slot] = entries.length;
    this.#gone[slot] = 0;
    this.#slots += 1;
    this.#entries += entries.length;
    this.#position = end;
    // At most maxEntries entries: the oldest go one by one, a slot once all of its have.
    while (this.#entries > this.#options.maxEntries) this.#forgetOldestEntry();
    outcome.kept += entries.length;
  }

  /**
   * Back to the start of the buffer: the slots after the current place are the older lap's
   * (the oldest of all, at the head) and go, so that those at the start are the oldest now.
   */
  #wrap(): void {
    while (this.#slots > 0 && (this.#starts[this.#head] as number) >= this.#position) this.#forgetOldestSlot();
    this.#position = 0;
  }

  /** Lets go of the oldest slots until one is free and none of them lies in [start, end). */
  #makeRoom(start: number, end: number): void {
    while (this.#slots > 0) {
      const oldest = this.#head;
      const overlaps = (this.#starts[oldest] as number) < end && (this.#ends[oldest] as number) > start;
      if (!overlaps && this.#slots < this.#starts.length) return;
      this.#forgetOldestSlot();
    }
  }

  #forgetOldestSlot(): void {
    const oldest = this.#head;
    this.#entries -= (this.#sizes[oldest] as number) - (this.#gone[oldest] as number);
    this.#head = (oldest + 1) % this.#starts.length;
    this.#slots -= 1;
  }

  #forgetOldestEntry(): void {
    const oldest = this.#head;
    this.#gone[oldest] = (this.#gone[oldest] as number) + 1;
    this.#entries -= 1;
    if (this.#gone[oldest] === this.#sizes[oldest]) {
      this.#head = (oldest + 1) % this.#starts.length;
      this.#slots -= 1;
    }
  }

  /**
   * The entries holding `id` that `matches` takes, within the time to live (one that came late
   * with an old time included), oldest first by time, at most the newest `limit` of them.
   */
  #find(id: string, limit: number, matches: (entry: TraceEntry) => boolean): TraceEntry[] {
    if (limit < 1 || this.#slots === 0) return [];
    const oldest = this.#options.now() - this.#options.ttlMs;
    // Every place the id's JSON text (quotes included) occurs: the slots that may hold it.
    const needle = Buffer.from(JSON.stringify(id));
    const hits: number[] = [];
    for (let at = this.#buffer.indexOf(needle); at >= 0; at = this.#buffer.indexOf(needle, at + 1)) hits.push(at);
    if (hits.length === 0) return [];
    const found: TraceEntry[] = [];
    const slots = this.#starts.length;
    for (let i = 0; i < this.#slots; i++) {
      const slot = (this.#head + i) % slots;
      if ((this.#newest[slot] as number) < oldest) continue;
      const start = this.#starts[slot] as number;
      const end = this.#ends[slot] as number;
      if (!holdsHit(hits, start, end)) continue;
      const entries = readSlots(this.#buffer.toString('utf8', start, end));
      for (let k = this.#gone[slot] as number; k < entries.length; k++) {
        const entry = entries[k] as TraceEntry;
        if (entry.at >= oldest && matches(entry)) found.push(entry);
      }
    }
    // Appends from several stages land a little out of time order; the sort is stable.
    return found.sort((a, b) => a.at - b.at).slice(-limit);
  }
}

/**
 * The text's length in bytes where it matters: at most three bytes per UTF-16 unit, so below
 * both `room` and `largest` the text surely fits and is not too large (0 then, with no count).
 */
function byteBound(text: string, room: number, largest: number): number {
  const most = text.length * 3;
  return most > room || most > largest ? Buffer.byteLength(text) : 0;
}

/** Whether one of the sorted offsets lies in [start, end). */
function holdsHit(hits: readonly number[], start: number, end: number): boolean {
  let low = 0;
  let high = hits.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((hits[middle] as number) < start) low = middle + 1;
    else high = middle;
  }
  return low < hits.length && (hits[low] as number) < end;
}
