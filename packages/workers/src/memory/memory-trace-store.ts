import type { TraceEntry, TraceStore } from '@inflow/core';

export interface MemoryTraceOptions {
  /** Entries kept at most (the oldest go first). */
  maxEntries: number;
  /** Entries older than this are gone. */
  ttlMs: number;
  /** Newest entries answered per profile (default: no bound but maxEntries). */
  profileEntries?: number;
  now?: () => number;
}

/** Entries answered per event or request at most (as the Redis store keeps them). */
const KEY_ENTRIES = 1_000;

/**
 * The trace of one process (the embedded engine): a ring of the newest `maxEntries` entries in
 * arrival order, with no index. Keeping an entry is one array store: no map, list or wrapper per
 * key, so the stages pay almost nothing and the garbage collector sees one object per entry.
 * A read scans the ring (50,000 entries take about a millisecond): reads are an operator's
 * questions, rare next to the writes, so the cost belongs there.
 */
export class MemoryTraceStore implements TraceStore {
  readonly #ring: Array<TraceEntry | undefined>;
  /** Where the next entry goes. */
  #next = 0;
  #size = 0;
  readonly #options: Required<MemoryTraceOptions>;

  constructor(options: MemoryTraceOptions) {
    this.#options = { now: Date.now, profileEntries: options.maxEntries, ...options };
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError(`maxEntries must be a whole number above 0 (got ${options.maxEntries})`);
    this.#ring = new Array<TraceEntry | undefined>(options.maxEntries).fill(undefined);
  }

  /** Keeps the entry at once (the TraceRecorder calls this instead of buffering for `append`). */
  keep(entry: TraceEntry): void {
    this.#ring[this.#next] = entry;
    this.#next = this.#next + 1 === this.#ring.length ? 0 : this.#next + 1;
    if (this.#size < this.#ring.length) this.#size += 1;
  }

  append(entries: readonly TraceEntry[]): Promise<number> {
    for (const entry of entries) this.keep(entry);
    return Promise.resolve(entries.length);
  }

  /** Each entry's eventIds narrowed to this event, as the Redis store keeps them. */
  byEvent(eventId: string): Promise<TraceEntry[]> {
    const found = this.#newest(KEY_ENTRIES, (entry) => entry.eventIds?.includes(eventId) === true);
    return Promise.resolve(found.map((entry) => (entry.eventIds?.length === 1 ? entry : { ...entry, eventIds: [eventId] })));
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return Promise.resolve(this.#newest(KEY_ENTRIES, (entry) => entry.requestId === requestId));
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    return Promise.resolve(this.#newest(Math.min(limit, this.#options.profileEntries), (entry) => entry.profileId === profileId));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The matching entries within the time to live (one that came late with an old time
   * included), oldest first by time, at most the newest `limit` of them.
   */
  #newest(limit: number, matches: (entry: TraceEntry) => boolean): TraceEntry[] {
    if (limit < 1) return [];
    const oldest = this.#options.now() - this.#options.ttlMs;
    const ring = this.#ring;
    const found: TraceEntry[] = [];
    // Oldest first: from the slot the next entry overwrites, once around.
    const start = this.#size < ring.length ? 0 : this.#next;
    for (let i = 0; i < this.#size; i++) {
      const entry = ring[(start + i) % ring.length] as TraceEntry;
      if (entry.at >= oldest && matches(entry)) found.push(entry);
    }
    // Appends from several stages land a little out of time order; the sort is stable.
    return found.sort((a, b) => a.at - b.at).slice(-limit);
  }
}
