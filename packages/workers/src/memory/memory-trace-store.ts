import type { TraceEntry, TraceStore } from '@inflow/core';
import { EntryJson } from '../trace/entry-json.js';
import { narrowedTo } from '../trace/narrowed-to.js';

export interface MemoryTraceOptions {
  /** Entries kept at most (the oldest go first). */
  maxEntries: number;
  /** Entries older than this are gone. */
  ttlMs: number;
  /** Newest entries answered per profile (default: no bound but maxEntries). */
  profileEntries?: number;
  /** Bytes of entries (as JSON) kept; default 256 per entry of maxEntries (the buffer is allocated whole, at least 4 KB). */
  maxBytes?: number;
  now?: () => number;
}

/** Entries answered per event or request at most (as the Redis store keeps them). */
const KEY_ENTRIES = 1_000;
const BYTES_PER_ENTRY = 256;

/**
 * The trace of one process (the embedded engine): the newest entries as JSON in one fixed
 * buffer used as a ring, with their places and times in typed arrays. Keeping an entry is one
 * JSON.stringify and one copy into the buffer: nothing of it stays on the JavaScript heap, so a
 * busy edge does not promote an object graph per request into the old generation (holding the
 * entries as objects cost the edge 7-9 % of its throughput, almost all of it in the garbage
 * collector). A read looks for the id's JSON text in the buffer (memmem), then parses only the
 * entries that hold it: reads are an operator's questions, rare next to the writes.
 */
export class MemoryTraceStore implements TraceStore {
  readonly #buffer: Buffer;
  /** Per slot (a ring of maxEntries): where its entry's text starts and ends, and its time. */
  readonly #starts: Uint32Array;
  readonly #ends: Uint32Array;
  readonly #times: Float64Array;
  /** The oldest slot still kept, and how many are. */
  #head = 0;
  #count = 0;
  /** Where the next entry's text goes. */
  #position = 0;
  readonly #options: Required<MemoryTraceOptions>;
  readonly #json = new EntryJson();

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
    this.#times = new Float64Array(options.maxEntries);
  }

  /**
   * Keeps the entry at once (the TraceRecorder calls this instead of buffering for `append`);
   * false for one too large to keep (over a quarter of the buffer).
   */
  keep(entry: TraceEntry): boolean {
    const text = this.#json.of(entry);
    const buffer = this.#buffer;
    // At most three bytes per UTF-16 unit: below both bounds the text surely fits here and is
    // not too large; otherwise its real length decides.
    const room = buffer.length - this.#position;
    const most = text.length * 3;
    if (most > room || most > buffer.length / 4) {
      const bytes = Buffer.byteLength(text);
      if (bytes > buffer.length / 4) return false;
      if (bytes > room) this.#wrap();
    }
    const start = this.#position;
    const end = start + buffer.write(text, start, 'utf8');
    this.#makeRoom(start, end);
    const slot = (this.#head + this.#count) % this.#starts.length;
    this.#starts[slot] = start;
    this.#ends[slot] = end;
    this.#times[slot] = entry.at;
    this.#count += 1;
    this.#position = end;
    return true;
  }

  append(entries: readonly TraceEntry[]): Promise<number> {
    let kept = 0;
    for (const entry of entries) if (this.keep(entry)) kept += 1;
    return Promise.resolve(kept);
  }

  /** Each entry's eventIds narrowed to this event, as the Redis store keeps them. */
  byEvent(eventId: string): Promise<TraceEntry[]> {
    const found = this.#newest(eventId, KEY_ENTRIES, (entry) => entry.eventIds?.includes(eventId) === true);
    return Promise.resolve(narrowedTo(eventId, found));
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return Promise.resolve(this.#newest(requestId, KEY_ENTRIES, (entry) => entry.requestId === requestId));
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    return Promise.resolve(this.#newest(profileId, Math.min(limit, this.#options.profileEntries), (entry) => entry.profileId === profileId));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Back to the start of the buffer: the entries after the current place are the older lap's
   * (the oldest of all, at the head) and go, so that those at the start are the oldest now.
   */
  #wrap(): void {
    const slots = this.#starts.length;
    while (this.#count > 0 && (this.#starts[this.#head] as number) >= this.#position) {
      this.#head = (this.#head + 1) % slots;
      this.#count -= 1;
    }
    this.#position = 0;
  }

  /** Lets go of the oldest entries until a slot is free and none of them lies in [start, end). */
  #makeRoom(start: number, end: number): void {
    const slots = this.#starts.length;
    while (this.#count > 0) {
      const oldest = this.#head;
      const overlaps = (this.#starts[oldest] as number) < end && (this.#ends[oldest] as number) > start;
      if (!overlaps && this.#count < slots) return;
      this.#head = (oldest + 1) % slots;
      this.#count -= 1;
    }
  }

  /**
   * The entries holding `id` that `matches` takes, within the time to live (one that came late
   * with an old time included), oldest first by time, at most the newest `limit` of them.
   */
  #newest(id: string, limit: number, matches: (entry: TraceEntry) => boolean): TraceEntry[] {
    if (limit < 1 || this.#count === 0) return [];
    const oldest = this.#options.now() - this.#options.ttlMs;
    // Every place the id's JSON text (quotes included) occurs: the entries that may hold it.
    const needle = Buffer.from(JSON.stringify(id));
    const hits: number[] = [];
    for (let at = this.#buffer.indexOf(needle); at >= 0; at = this.#buffer.indexOf(needle, at + 1)) hits.push(at);
    if (hits.length === 0) return [];
    const found: TraceEntry[] = [];
    const slots = this.#starts.length;
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % slots;
      if ((this.#times[slot] as number) < oldest) continue;
      const start = this.#starts[slot] as number;
      const end = this.#ends[slot] as number;
      if (!holdsHit(hits, start, end)) continue;
      const entry = JSON.parse(this.#buffer.toString('utf8', start, end)) as TraceEntry;
      if (matches(entry)) found.push(entry);
    }
    // Appends from several stages land a little out of time order; the sort is stable.
    return found.sort((a, b) => a.at - b.at).slice(-limit);
  }
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
