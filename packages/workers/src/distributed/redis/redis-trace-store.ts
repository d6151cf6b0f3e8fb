import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type EncodedTrace, errorMessage, type Logger, throttledWarning, type TraceEntry, type TraceStore } from '@inflow/core';
import { narrowedTo } from '../../trace/narrowed-to.js';
import { readSlots, writableSlot } from '../../trace/slot-json.js';

export interface RedisTraceOptions {
  redis: Redis;
  /** Keys are `{keyPrefix}:trace:{bucket}:slots`. */
  keyPrefix: string;
  /** How long an entry is kept (its bucket goes once every entry in it is older). */
  ttlSeconds: number;
  /** Newest entries kept per profile. */
  profileEntries: number;
  /** Entries this process keeps in Redis within one time to live at most (about 300 bytes each); more are dropped and counted. Default 1,000,000. */
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
/** Entries in one slot at most: a read fetches whole slots, so a slot stays a few dozen KB. */
const SLOT_ENTRIES = 100;
/** Between a slot's id and the ids it holds, and after each: ids never hold a NUL (the edge refuses control characters). */
const SEP = '\0';
/** Hash fields a read's HSCAN looks at per call (each field names up to SLOT_ENTRIES entries). */
const SCAN_COUNT = 50;

type Kind = 'r' | 'p' | 'e';

/** A slot written out: the hash field and value it will be in its bucket's hash. */
interface EncodedSlot {
  bucket: number;
  /**
   * The ids its entries name (`r:…\0p:…\0e:…\0`), then its JSON: one buffer of its own (not a
   * slice of Node's shared pool, which a held slice would keep whole), held off the JavaScript heap.
   */
  bytes: Buffer;
  /** Where the JSON starts in `bytes`. */
  idsLength: number;
  entries: number;
}

/** Entries written out as slots (`encode`), for `appendEncoded`. */
export interface EncodedSlots extends EncodedTrace {
  readonly slots: readonly EncodedSlot[];
}

/**
 * The trace on Redis in time buckets: each bucket (a minute) is one hash of slots. Entries are
 * written out as a slot per gathering of the recorder (`encode`: columns, frozen details once); an append joins a
 * bucket's slots into hash fields of up to 100 entries: the field is an id followed by every
 * request, profile and event id its entries name (`id\0r:…\0p:…\0e:…\0`), the value its slots'
 * JSON (one slot, or an array of them). One append is one HSET and one PEXPIRE per bucket it
 * touches, whatever the number of entries, and Redis does a hash insert per field: 0.3 µs of its
 * CPU per entry (measured) where a sorted-set index of every id (the previous layout) cost 6 µs;
 * the appending process's own work per entry went from 8 to 3 µs.
 * A read scans the live buckets' fields with a pattern for the id (HSCAN MATCH, in Redis) and
 * parses only the fields that name it: reads are an operator's questions, rare next to the
 * writes, and take a few milliseconds to a few hundred on a bucket budget's worth of fields.
 * Buckets expire whole once the newest entry they can hold is past the time to live. An append
 * that fails rejects (the TraceRecorder counts and logs it, and no stage waits for it).
 */
export class RedisTraceStore implements TraceStore<EncodedSlots> {
  readonly #options: Required<RedisTraceOptions>;
  /** This process's part of every slot id, so that processes never share one. */
  readonly #tag = randomBytes(4).toString('hex');
  #sequence = 0;
  readonly #warn: (message: string) => void;
  /** Entries this process wrote per bucket, against #bucketBudget. */
  readonly #used = new Map<number, number>();
  readonly #bucketBudget: number;

  constructor(options: RedisTraceOptions) {
    this.#options = { keyEntries: KEY_ENTRIES, maxEntries: MAX_ENTRIES, now: Date.now, ...options };
    this.#warn = throttledWarning(options.logger, WARN_EVERY_MS, this.#options.now);
    this.#bucketBudget = Math.max(1, Math.ceil((this.#options.maxEntries * BUCKET_MS) / (options.ttlSeconds * 1000)));
  }

  async append(entries: readonly TraceEntry[]): Promise<number> {
    const encoded = this.encode(entries);
    if (encoded.failed > 0) this.#warn(`trace entries not kept: ${encoded.failed} cannot be written as JSON (${errorMessage(encoded.error)})`);
    return this.appendEncoded([encoded]);
  }

  /**
   * The entries as slots of their time buckets (the TraceRecorder calls this with the entries
   * it gathered, a few milliseconds' worth, and appends later): left out are entries over this process's budget (dropped)
   * and entries JSON cannot write (failed), their room in the budget given back.
   */
  encode(entries: readonly TraceEntry[]): EncodedSlots {
    const buckets = new Map<number, TraceEntry[]>();
    for (const entry of entries) {
      const bucket = Math.floor(entry.at / BUCKET_MS);
      let inBucket = buckets.get(bucket);
      if (!inBucket) buckets.set(bucket, (inBucket = []));
      inBucket.push(entry);
    }
    let dropped = 0;
    for (const [bucket, inBucket] of buckets) {
      // Over the budget: the bucket's last ones.
      const room = this.#takeRoom(bucket, inBucket.length);
      if (room < inBucket.length) {
        dropped += inBucket.length - room;
        inBucket.length = room;
      }
    }
    if (dropped > 0) this.#warn(`trace budget of this process reached: ${dropped} entries not kept (INFLOW_TRACE_REDIS_MAX_ENTRIES ${this.#options.maxEntries} per ${this.#options.ttlSeconds} s)`);
    const slots: EncodedSlot[] = [];
    let held = 0;
    let failed = 0;
    let error: unknown;
    for (const [bucket, inBucket] of buckets) {
      for (let at = 0; at < inBucket.length; at += SLOT_ENTRIES) {
        const slot = writableSlot(at === 0 && inBucket.length <= SLOT_ENTRIES ? inBucket : inBucket.slice(at, at + SLOT_ENTRIES));
        if (slot.failed > 0) {
          this.#giveBack(bucket, slot.failed);
          failed += slot.failed;
          error ??= slot.error;
        }
        if (slot.entries.length === 0) continue;
        slots.push({ bucket, ...slotBytes(idsOf(slot.entries), slot.json), entries: slot.entries.length });
        held += slot.entries.length;
      }
    }
    return { entries: held, dropped, failed, error, slots };
  }

  /**
   * One HSET and one PEXPIRE per bucket the slots are in, the slots joined into fields of up to
   * 100 entries; rejects (their budget given back) when Redis fails.
   */
  async appendEncoded(batches: readonly EncodedSlots[]): Promise<number> {
    const byBucket = new Map<number, { slots: EncodedSlot[]; entries: number }>();
    let entries = 0;
    for (const { slots } of batches) {
      for (const slot of slots) {
        let bucket = byBucket.get(slot.bucket);
        if (!bucket) byBucket.set(slot.bucket, (bucket = { slots: [], entries: 0 }));
        bucket.slots.push(slot);
        bucket.entries += slot.entries;
        entries += slot.entries;
      }
    }
    if (entries === 0) return 0;
    const pipeline = this.#options.redis.pipeline();
    const now = this.#options.now();
    for (const [bucket, { slots }] of byBucket) {
      // Kept until the newest time the bucket holds is past the time to live.
      const lifeMs = Math.max(1_000, (bucket + 1) * BUCKET_MS + this.#options.ttlSeconds * 1000 - now);
      pipeline.hset(this.#key(bucket), ...this.#fields(slots)).pexpire(this.#key(bucket), lifeMs);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      // Not kept: their room in the budget is given back, and the caller counts them failed.
      for (const [bucket, { entries: count }] of byBucket) this.#giveBack(bucket, count);
      throw new Error(`trace of ${entries} entries not kept: ${errorMessage(error)}`, { cause: error });
    }
    return entries;
  }

  /** A bucket's slots as hash fields and values, up to SLOT_ENTRIES entries a field (a slot is never split). */
  #fields(slots: readonly EncodedSlot[]): Buffer[] {
    const fields: Buffer[] = [];
    for (let first = 0; first < slots.length; ) {
      let last = first + 1;
      let entries = (slots[first] as EncodedSlot).entries;
      while (last < slots.length && entries + (slots[last] as EncodedSlot).entries <= SLOT_ENTRIES) entries += (slots[last++] as EncodedSlot).entries;
      const joined = slots.slice(first, last);
      const id = Buffer.from(`${this.#tag}${(this.#sequence++).toString(36)}${SEP}`);
      fields.push(Buffer.concat([id, ...joined.map((slot) => slot.bytes.subarray(0, slot.idsLength))]));
      const jsons = joined.map((slot) => slot.bytes.subarray(slot.idsLength));
      fields.push(jsons.length === 1 ? (jsons[0] as Buffer) : Buffer.concat([OPEN, ...jsons.flatMap((json, i) => (i === 0 ? [json] : [COMMA, json])), CLOSE]));
      first = last;
    }
    return fields;
  }

  /**
   * How many of `wanted` more entries this process may add to the bucket (and takes them): its
   * maxEntries spread evenly over the buckets of one time to live, so Redis holds at most about
   * maxEntries of its entries.
   */
  #takeRoom(bucket: number, wanted: number): number {
    const used = this.#used.get(bucket) ?? 0;
    const room = Math.min(wanted, Math.max(0, this.#bucketBudget - used));
    if (room === 0) return 0;
    if (used === 0 && this.#used.size > 4) {
      // Forget buckets past the time to live (they are gone from Redis too).
      const oldest = Math.floor((this.#options.now() - this.#options.ttlSeconds * 1000) / BUCKET_MS);
      for (const known of this.#used.keys()) if (known < oldest) this.#used.delete(known);
    }
    this.#used.set(bucket, used + room);
    return room;
  }

  #giveBack(bucket: number, entries: number): void {
    this.#used.set(bucket, Math.max(0, (this.#used.get(bucket) ?? 0) - entries));
  }

  /** Each entry's eventIds narrowed to this event: the request's other events are in its request's trace. */
  async byEvent(eventId: string): Promise<TraceEntry[]> {
    const entries = await this.#read('e', eventId, this.#options.keyEntries, (entry) => entry.eventIds?.includes(eventId) === true);
    return narrowedTo(eventId, entries);
  }

  byRequest(requestId: string): Promise<TraceEntry[]> {
    return this.#read('r', requestId, this.#options.keyEntries, (entry) => entry.requestId === requestId);
  }

  byProfile(profileId: string, limit: number): Promise<TraceEntry[]> {
    return this.#read('p', profileId, Math.min(limit, this.#options.profileEntries), (entry) => entry.profileId === profileId);
  }

  /** The connection is the engine's to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The newest `limit` entries naming the id, within the time to live, oldest first. */
  async #read(kind: Kind, id: string, limit: number, matches: (entry: TraceEntry) => boolean): Promise<TraceEntry[]> {
    if (limit < 1) return [];
    const now = this.#options.now();
    const oldest = now - this.#options.ttlSeconds * 1000;
    const pattern = `*${SEP}${kind}:${globEscaped(id)}${SEP}*`;
    const entries: TraceEntry[] = [];
    // One bucket ahead for a writer whose clock runs a little fast.
    for (let bucket = Math.floor(now / BUCKET_MS) + 1; bucket >= Math.floor(oldest / BUCKET_MS); bucket--) {
      // HSCAN may answer a field twice (while the hash grows): each slot is read once.
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, pairs] = await this.#options.redis.hscan(this.#key(bucket), cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        cursor = next;
        for (let i = 0; i + 1 < pairs.length; i += 2) {
          const field = pairs[i] as string;
          if (seen.has(field)) continue;
          seen.add(field);
          for (const entry of fieldEntries(pairs[i + 1] as string)) if (entry.at >= oldest && matches(entry)) entries.push(entry);
        }
      } while (cursor !== '0');
    }
    // Appends from several processes land out of time order; the sort is stable.
    return entries.sort((a, b) => a.at - b.at).slice(-limit);
  }

  #key(bucket: number): string {
    return `${this.#options.keyPrefix}:trace:${bucket}:slots`;
  }
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/**
 * The ids the entries name, once each, each with its kind and followed by the separator. A
 * request's entries mostly follow one another, so a request id is compared with the one before
 * (one named again later only makes the field a little longer); profiles and events are sets.
 */
function idsOf(entries: readonly TraceEntry[]): string {
  const profiles = new Set<string>();
  const events = new Set<string>();
  let ids = '';
  let lastRequest: string | undefined;
  for (const { requestId, profileId, eventIds } of entries) {
    if (requestId !== undefined && requestId !== lastRequest) {
      ids += 'r:' + requestId + SEP;
      lastRequest = requestId;
    }
    if (profileId !== undefined && !profiles.has(profileId)) {
      profiles.add(profileId);
      ids += 'p:' + profileId + SEP;
    }
    if (eventIds === undefined) continue;
    for (const eventId of eventIds) {
      if (events.has(eventId)) continue;
      events.add(eventId);
      ids += 'e:' + eventId + SEP;
    }
  }
  return ids;
}

/** The ids and the JSON in one buffer of their exact size. */
function slotBytes(ids: string, json: string): { bytes: Buffer; idsLength: number } {
  const idsLength = Buffer.byteLength(ids);
  const bytes = Buffer.allocUnsafeSlow(idsLength + Buffer.byteLength(json));
  bytes.write(ids, 0);
  bytes.write(json, idsLength);
  return { bytes, idsLength };
}

/** The id as a Redis glob matches it literally. */
function globEscaped(id: string): string {
  return id.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/** A field's entries: one slot, or an array of slots (an append joins small ones); a damaged value yields nothing. */
function fieldEntries(value: string): TraceEntry[] {
  try {
    return readSlots(value).filter((entry) => typeof entry.at === 'number' && typeof entry.stage === 'string');
  } catch {
    return [];
  }
}
