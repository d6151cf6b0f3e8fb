import type { TraceEntry, TraceStore } from '@inflow/core';

export interface MemoryTraceOptions {
  /** Entries kept at most (the oldest go first). */
  maxEntries: number;
  /** Entries older than this are gone. */
  ttlMs: number;
  /** Newest entries kept per profile (default: no bound but maxEntries). */
  profileEntries?: number;
  now?: () => number;
}

/** Entries kept per event or request at most (as the Redis store keeps them). */
const KEY_ENTRIES = 1_000;

/** An entry with its place in arrival order. */
interface Kept {
  seq: number;
  entry: TraceEntry;
}

/**
 * The trace of one process (the embedded engine): entries in arrival order, indexed by event,
 * request and profile. Entries leave in the order they came; an index list is not searched when
 * one leaves: a list whose newest entry has left is dropped, and the left entries at the front
 * of a list still in use are skipped when it is read and cut when it outgrows its cap.
 */
export class MemoryTraceStore implements TraceStore {
  readonly #kept: Kept[] = [];
  /** Index in #kept of the oldest entry still kept. */
  #head = 0;
  /** Sequence number of #kept[#head]: entries with a lower one have left. */
  #firstSeq = 0;
  #nextSeq = 0;
  readonly #byEvent = new Map<string, Kept[]>();
  readonly #byRequest = new Map<string, Kept[]>();
  readonly #byProfile = new Map<string, Kept[]>();
  readonly #options: Required<MemoryTraceOptions>;

  constructor(options: MemoryTraceOptions) {
    this.#options = { now: Date.now, profileEntries: options.maxEntries, ...options };
  }

  append(entries: readonly TraceEntry[]): Promise<number> {
    for (const entry of entries) {
      const kept = { seq: this.#nextSeq++, entry };
      this.#kept.push(kept);
      if (entry.requestId !== undefined) this.#push(this.#byRequest, entry.requestId, kept);
      if (entry.profileId !== undefined) this.#push(this.#byProfile, entry.profileId, kept);
      for (const eventId of entry.eventIds ?? []) this.#push(this.#byEvent, eventId, kept);
    }
    this.#evict();
    return Promise.resolve(entries.length);
  }

  /** Each entry's eventIds narrowed to this event, as the Redis store keeps them. */
  byEvent(eventId: string): Promise<TraceEntry[]> {
    const entries = this.#live(this.#byEvent.get(eventId)).slice(-KEY_ENTRIES);
    return Promise.resolve(entries.map((entry) => (entry.eventIds?.length === 1 ? entry : { ...entry, eventIds: [eventId] })));
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return Promise.resolve(this.#live(this.#byRequest.get(requestId)).slice(-KEY_ENTRIES));
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    const newest = Math.min(limit, this.#options.profileEntries);
    return Promise.resolve(newest < 1 ? [] : this.#live(this.#byProfile.get(profileId)).slice(-newest));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #push(index: Map<string, Kept[]>, key: string, kept: Kept): void {
    const list = index.get(key);
    if (!list) {
      index.set(key, [kept]);
      return;
    }
    // The same key named twice in one entry is kept once.
    if (list[list.length - 1] === kept) return;
    list.push(kept);
    // A hot key (a busy profile, an event id a client reuses) keeps its newest entries: the list
    // is cut back to its cap once it doubles, so the cost stays constant per entry (shifting
    // one entry at a time out of a long list was a fifth of the edge's time).
    const cap = index === this.#byProfile ? this.#options.profileEntries : KEY_ENTRIES;
    if (list.length >= 2 * cap) list.splice(0, list.length - cap);
  }

  /** The list's entries still kept and within the time to live (one that came late with an old time included), oldest first. */
  #live(list: Kept[] | undefined): TraceEntry[] {
    this.#evict();
    const oldest = this.#options.now() - this.#options.ttlMs;
    if (!list) return [];
    return list
      .filter((kept) => kept.seq >= this.#firstSeq && kept.entry.at >= oldest)
      .map((kept) => kept.entry)
      .sort((a, b) => a.at - b.at);
  }

  #evict(): void {
    const oldest = this.#options.now() - this.#options.ttlMs;
    while (this.#head < this.#kept.length) {
      const kept = this.#kept[this.#head] as Kept;
      if (this.#kept.length - this.#head <= this.#options.maxEntries && kept.entry.at >= oldest) break;
      this.#head += 1;
      this.#firstSeq = kept.seq + 1;
      const { requestId, profileId, eventIds } = kept.entry;
      if (requestId !== undefined) this.#dropIfGone(this.#byRequest, requestId);
      if (profileId !== undefined) this.#dropIfGone(this.#byProfile, profileId);
      for (const eventId of eventIds ?? []) this.#dropIfGone(this.#byEvent, eventId);
    }
    // Compact now and then rather than shifting the array on every eviction.
    if (this.#head > 4096 && this.#head * 2 > this.#kept.length) {
      this.#kept.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Drops a key whose newest entry has left (so every entry of it has). */
  #dropIfGone(index: Map<string, Kept[]>, key: string): void {
    const list = index.get(key);
    if (list && (list[list.length - 1] as Kept).seq < this.#firstSeq) index.delete(key);
  }
}
