import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorMessage, type Logger, throttledWarning, type TraceEntry, type TraceStore } from '@inflow/core';
import { EntryJson } from '../../trace/entry-json.js';
import { narrowedTo } from '../../trace/narrowed-to.js';

export interface RedisTraceOptions {
  redis: Redis;
  /** Keys are `{keyPrefix}:trace:{bucket}:{en|ix}`. */
  keyPrefix: string;
  /** How long an entry is kept (its bucket goes once every entry in it is older). */
  ttlSeconds: number;
  /** Newest entries kept per profile. */
  profileEntries: number;
  /** Entries this process keeps in Redis within one time to live at most (about 1 KB each); more are dropped and counted. Default 1,000,000. */
  maxEntries?: number;
  /** Newest entries kept per event and per request: a bound, not a tunable (an event has a few dozen). */
  keyEntries?: number;
  logger: Logger;
  now?: () => number;
}

const KEY_ENTRIES = 1_000;
const MAX_ENTRIES = 1_000_000;
/** Fixed, not derived from the time to live: processes configured with different ones still find each other's entries. */
const BUCKET_MS = 60_000;
/** A failing Redis is reported once per this many ms, not once per append. */
const WARN_EVERY_MS = 10_000;
/** Index members are `{kind}\0{id}\0…`: ids never hold a NUL (the edge refuses control characters). */
const SEP = '\0';
/** Above every character an index member has after its prefix (field ids are ASCII). */
const HIGH = '\u00ff';

/**
 * The trace on Redis in time buckets: each bucket (a minute) is a hash of entries (field: a per-process sequence id, value: the entry as JSON) and a
 * sorted set indexing them by request, event and profile (all scores 0, read by lexical range).
 * One append is one pipeline of a few commands per bucket it touches (HSET and ZADD with every
 * entry of the batch, two PEXPIREs), whatever the number of entries: the cost per entry is a few
 * arguments, not a few commands (one list per key cost the edge half its throughput). Buckets
 * expire whole once the newest entry they can hold is past the time to live. A read is two
 * pipelines over the live buckets. An append that fails rejects (the TraceRecorder counts and
 * logs it, and no stage waits for it).
 */
export class RedisTraceStore implements TraceStore {
  readonly #options: Required<RedisTraceOptions>;
  /** This process's part of every entry id, so that processes never share one. */
  readonly #tag = randomBytes(4).toString('hex');
  #sequence = 0;
  readonly #warn: (message: string) => void;
  /** Entries this process wrote per bucket, against #bucketBudget. */
  readonly #used = new Map<number, number>();
  readonly #bucketBudget: number;
  readonly #json = new EntryJson();

  constructor(options: RedisTraceOptions) {
    this.#options = { keyEntries: KEY_ENTRIES, maxEntries: MAX_ENTRIES, now: Date.now, ...options };
    this.#warn = throttledWarning(options.logger, WARN_EVERY_MS, this.#options.now);
    this.#bucketBudget = Math.max(1, Math.ceil((this.#options.maxEntries * BUCKET_MS) / (options.ttlSeconds * 1000)));
  }

  async append(entries: readonly TraceEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const buckets = new Map<number, { fields: string[]; members: Array<string | number> }>();
    let kept = 0;
    for (const entry of entries) {
      const bucket = Math.floor(entry.at / BUCKET_MS);
      // Written out first: an entry that cannot be (a value JSON cannot hold) takes no room in the budget.
      const text = this.#json.of(entry);
      if (!this.#withinBudget(bucket)) continue;
      kept += 1;
      let slot = buckets.get(bucket);
      if (!slot) buckets.set(bucket, (slot = { fields: [], members: [] }));
      // Padded: ids of one process sort in the order they were made (a read takes a key's last ones).
      const id = this.#tag + (this.#sequence++).toString(36).padStart(10, '0');
      slot.fields.push(id, text);
      if (entry.requestId !== undefined) slot.members.push(0, `r${SEP}${entry.requestId}${SEP}${id}`);
      if (entry.profileId !== undefined) slot.members.push(0, `p${SEP}${entry.profileId}${SEP}${String(entry.at).padStart(15, '0')}${SEP}${id}`);
      for (const eventId of new Set(entry.eventIds ?? [])) slot.members.push(0, `e${SEP}${eventId}${SEP}${id}`);
    }
    const pipeline = this.#options.redis.pipeline();
    const now = this.#options.now();
    for (const [bucket, { fields, members }] of buckets) {
      // Kept until the newest time the bucket holds is past the time to live.
      const lifeMs = Math.max(1_000, (bucket + 1) * BUCKET_MS + this.#options.ttlSeconds * 1000 - now);
      pipeline.hset(this.#key(bucket, 'en'), ...fields).pexpire(this.#key(bucket, 'en'), lifeMs);
      if (members.length > 0) pipeline.zadd(this.#key(bucket, 'ix'), ...members).pexpire(this.#key(bucket, 'ix'), lifeMs);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      // Not kept: their room in the budget is given back, and the caller counts them failed.
      for (const [bucket, { fields }] of buckets) this.#used.set(bucket, Math.max(0, (this.#used.get(bucket) ?? 0) - fields.length / 2));
      throw new Error(`trace of ${entries.length} entries not kept: ${errorMessage(error)}`, { cause: error });
    }
    if (kept < entries.length) this.#warn(`trace budget of this process reached: ${entries.length - kept} entries not kept (INFLOW_TRACE_REDIS_MAX_ENTRIES ${this.#options.maxEntries} per ${this.#options.ttlSeconds} s)`);
    return kept;
  }

  /**
   * Whether this process may add one more entry to the bucket: its maxEntries spread evenly over
   * the buckets of one time to live, so Redis holds at most about maxEntries of its entries.
   */
  #withinBudget(bucket: number): boolean {
    const used = this.#used.get(bucket) ?? 0;
    if (used >= this.#bucketBudget) return false;
    if (used === 0 && this.#used.size > 4) {
      // Forget buckets past the time to live (they are gone from Redis too).
      const oldest = Math.floor((this.#options.now() - this.#options.ttlSeconds * 1000) / BUCKET_MS);
      for (const known of this.#used.keys()) if (known < oldest) this.#used.delete(known);
    }
    this.#used.set(bucket, used + 1);
    return true;
  }

  /** Each entry's eventIds narrowed to this event: the request's other events are in its request's trace. */
  async byEvent(eventId: string): Promise<TraceEntry[]> {
    const entries = await this.#read(`e${SEP}${eventId}${SEP}`, this.#options.keyEntries);
    return narrowedTo(eventId, entries);
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return this.#read(`r${SEP}${requestId}${SEP}`, this.#options.keyEntries);
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    return this.#read(`p${SEP}${profileId}${SEP}`, Math.min(limit, this.#options.profileEntries));
  }

  /** The connection is the engine's to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The newest `limit` entries indexed under the prefix, within the time to live, oldest first. */
  async #read(prefix: string, limit: number): Promise<TraceEntry[]> {
    if (limit < 1) return [];
    const now = this.#options.now();
    const oldest = now - this.#options.ttlSeconds * 1000;
    const buckets: number[] = [];
    // Newest first; one bucket ahead for a writer whose clock runs a little fast.
    for (let bucket = Math.floor(now / BUCKET_MS) + 1; bucket >= Math.floor(oldest / BUCKET_MS); bucket--) buckets.push(bucket);
    const lookups = this.#options.redis.pipeline();
    // Members sort by id within a prefix (by time for a profile's): the newest `limit` of each bucket are its last ones.
    for (const bucket of buckets) lookups.zrevrangebylex(this.#key(bucket, 'ix'), `[${prefix}${HIGH}`, `[${prefix}`, 'LIMIT', 0, limit);
    const found = ((await lookups.exec()) ?? []).map(([error, members]) => {
      if (error) throw error;
      return (members as string[]).map((member) => member.slice(member.lastIndexOf(SEP) + 1));
    });
    const reads = this.#options.redis.pipeline();
    let asked = 0;
    for (const [i, bucket] of buckets.entries()) {
      const ids = found[i] ?? [];
      if (ids.length === 0) continue;
      reads.hmget(this.#key(bucket, 'en'), ...ids);
      asked += 1;
    }
    if (asked === 0) return [];
    const entries: TraceEntry[] = [];
    for (const [error, values] of (await reads.exec()) ?? []) {
      if (error) throw error;
      for (const value of values as Array<string | null>) {
        const entry = value === null ? undefined : parseEntry(value);
        if (entry && entry.at >= oldest) entries.push(entry);
      }
    }
    // Appends from several processes land out of time order; the sort is stable.
    return entries.sort((a, b) => a.at - b.at).slice(-limit);
  }

  #key(bucket: number, part: 'en' | 'ix'): string {
    return `${this.#options.keyPrefix}:trace:${bucket}:${part}`;
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
