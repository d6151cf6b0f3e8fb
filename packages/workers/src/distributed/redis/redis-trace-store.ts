import type { Redis } from 'ioredis';
import { errorMessage, type Logger, type TraceEntry, type TraceStore } from '@inflow/core';

export interface RedisTraceOptions {
  redis: Redis;
  /** Keys are `{keyPrefix}:trace:{e|r|p}:{id}`. */
  keyPrefix: string;
  /** How long a list lives after its last entry; older entries are not read back either. */
  ttlSeconds: number;
  /** Newest entries kept per profile. */
  profileEntries: number;
  /** Newest entries kept per event and per request: a bound, not a tunable (an event has a few dozen). */
  keyEntries?: number;
  logger: Logger;
  now?: () => number;
}

const KEY_ENTRIES = 1_000;
/** A failing Redis is reported once per this many ms, not once per append. */
const WARN_EVERY_MS = 10_000;

/**
 * The trace on Redis, one list per event, request and profile, each entry as compact JSON.
 * An event's list holds the entry with `eventIds` narrowed to that event, so an entry about a
 * request of 100 events costs 100 small copies, not 100 copies of 100 ids. One append is one
 * pipeline (one round trip): per list touched, RPUSH of its new entries, LTRIM to its cap and
 * EXPIRE (the time to live slides while the list grows). A read is one LRANGE. Appends never
 * throw: the trace is a diagnostic, and Redis being away must not hold up a stage.
 */
export class RedisTraceStore implements TraceStore {
  readonly #options: Required<RedisTraceOptions>;
  #warnedAt = -Infinity;

  constructor(options: RedisTraceOptions) {
    this.#options = { keyEntries: KEY_ENTRIES, now: Date.now, ...options };
  }

  async append(entries: readonly TraceEntry[]): Promise<void> {
    const lists = new Map<string, { cap: number; values: string[] }>();
    const add = (key: string, cap: number, value: string): void => {
      const list = lists.get(key);
      if (list) list.values.push(value);
      else lists.set(key, { cap, values: [value] });
    };
    const { keyEntries, profileEntries, ttlSeconds } = this.#options;
    for (const entry of entries) {
      const whole = JSON.stringify(entry);
      if (entry.requestId !== undefined) add(this.#key('r', entry.requestId), keyEntries, whole);
      if (entry.profileId !== undefined) add(this.#key('p', entry.profileId), profileEntries, whole);
      for (const eventId of new Set(entry.eventIds ?? [])) {
        add(this.#key('e', eventId), keyEntries, entry.eventIds?.length === 1 ? whole : JSON.stringify({ ...entry, eventIds: [eventId] }));
      }
    }
    if (lists.size === 0) return;
    const pipeline = this.#options.redis.pipeline();
    for (const [key, { cap, values }] of lists) pipeline.rpush(key, ...values).ltrim(key, -cap, -1).expire(key, ttlSeconds);
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      this.#warn(`trace of ${entries.length} entries not kept: ${errorMessage(error)}`);
    }
  }

  byEvent(eventId: string): Promise<TraceEntry[]> {
    return this.#read(this.#key('e', eventId), this.#options.keyEntries);
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return this.#read(this.#key('r', requestId), this.#options.keyEntries);
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    return this.#read(this.#key('p', profileId), Math.min(limit, this.#options.profileEntries));
  }

  /** The connection is the engine's to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The list's newest `limit` entries still within the time to live, oldest first. */
  async #read(key: string, limit: number): Promise<TraceEntry[]> {
    if (limit < 1) return [];
    const values = await this.#options.redis.lrange(key, -limit, -1);
    const oldest = this.#options.now() - this.#options.ttlSeconds * 1000;
    const entries: TraceEntry[] = [];
    for (const value of values) {
      const entry = parseEntry(value);
      if (entry && entry.at >= oldest) entries.push(entry);
    }
    // Appends from several processes may land out of time order; the sort is stable.
    return entries.sort((a, b) => a.at - b.at);
  }

  #key(kind: 'e' | 'r' | 'p', id: string): string {
    return `${this.#options.keyPrefix}:trace:${kind}:${id}`;
  }

  #warn(message: string): void {
    const now = this.#options.now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#warnedAt = now;
    this.#options.logger.warn(message);
  }
}

/** An entry as written; anything else (a damaged value) is left out. */
function parseEntry(value: string): TraceEntry | undefined {
  try {
    const entry = JSON.parse(value) as TraceEntry;
    return typeof entry.at === 'number' && typeof entry.stage === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
