import type { TraceEntry, TraceStore } from '@inflow/core';

export interface MemoryTraceOptions {
  /** Entries kept at most (the oldest go first). */
  maxEntries: number;
  /** Entries older than this are gone. */
  ttlMs: number;
  /** Newest entries a profile's trace answers at most (default: no bound but maxEntries). */
  profileEntries?: number;
  now?: () => number;
}

/**
 * The trace of one process (the embedded engine): entries in arrival order, indexed by event,
 * request and profile. Entries leave in the order they came, so the oldest entry of the whole
 * store is also the first of every list it is in: eviction is a shift.
 */
export class MemoryTraceStore implements TraceStore {
  readonly #entries: TraceEntry[] = [];
  #head = 0;
  readonly #byEvent = new Map<string, TraceEntry[]>();
  readonly #byRequest = new Map<string, TraceEntry[]>();
  readonly #byProfile = new Map<string, TraceEntry[]>();
  readonly #options: Required<MemoryTraceOptions>;

  constructor(options: MemoryTraceOptions) {
    this.#options = { now: Date.now, profileEntries: options.maxEntries, ...options };
  }

  append(entries: readonly TraceEntry[]): Promise<void> {
    for (const entry of entries) {
      this.#entries.push(entry);
      if (entry.requestId !== undefined) push(this.#byRequest, entry.requestId, entry);
      if (entry.profileId !== undefined) push(this.#byProfile, entry.profileId, entry);
      for (const eventId of new Set(entry.eventIds ?? [])) push(this.#byEvent, eventId, entry);
    }
    this.#evict();
    return Promise.resolve();
  }

  /** Each entry's eventIds narrowed to this event, as the Redis store keeps them. */
  byEvent(eventId: string): Promise<TraceEntry[]> {
    const entries = this.#live(this.#byEvent.get(eventId));
    return Promise.resolve(entries.map((entry) => (entry.eventIds?.length === 1 ? entry : { ...entry, eventIds: [eventId] })));
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return Promise.resolve(this.#live(this.#byRequest.get(requestId)));
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    const newest = Math.min(limit, this.#options.profileEntries);
    return Promise.resolve(newest < 1 ? [] : this.#live(this.#byProfile.get(profileId)).slice(-newest));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The list's entries within the time to live (one that came late with an old time included), oldest first. */
  #live(list: TraceEntry[] | undefined): TraceEntry[] {
    this.#evict();
    const oldest = this.#options.now() - this.#options.ttlMs;
    return list ? list.filter((entry) => entry.at >= oldest).sort((a, b) => a.at - b.at) : [];
  }

  #evict(): void {
    const oldest = this.#options.now() - this.#options.ttlMs;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head];
      if (!entry || (this.#entries.length - this.#head <= this.#options.maxEntries && entry.at >= oldest)) break;
      this.#head += 1;
      if (entry.requestId !== undefined) shift(this.#byRequest, entry.requestId, entry);
      if (entry.profileId !== undefined) shift(this.#byProfile, entry.profileId, entry);
      for (const eventId of new Set(entry.eventIds ?? [])) shift(this.#byEvent, eventId, entry);
    }
    // Compact now and then rather than shifting the array on every eviction.
    if (this.#head > 4096 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

function push(index: Map<string, TraceEntry[]>, key: string, entry: TraceEntry): void {
  const list = index.get(key);
  if (list) list.push(entry);
  else index.set(key, [entry]);
}

function shift(index: Map<string, TraceEntry[]>, key: string, entry: TraceEntry): void {
  const list = index.get(key);
  if (!list) return;
  // The entry is the list's first unless the same key was named twice in one entry.
  const at = list.indexOf(entry);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) index.delete(key);
}
