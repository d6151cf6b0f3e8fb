import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, TraceRecorder } from '@inflow/core';
import { requiredEnv } from '../../test-support/services.js';
import { traceStoreContract } from '../../test-support/trace-store-contract.js';
import { RedisTraceStore } from './redis-trace-store.js';

const prefix = `rt${Date.now().toString(36)}`;
const logger = createLogger({ level: 'error', format: 'text' });

describe('RedisTraceStore on a real Redis', () => {
  let redis: Redis;
  let stores = 0;
  beforeAll(() => {
    redis = new Redis(requiredEnv('INFLOW_REDIS_URL'));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    redis.disconnect();
  });

  // Each store on keys of its own, so the contract's ids never meet.
  traceStoreContract(async ({ ttlSeconds, profileEntries, now }) => new RedisTraceStore({ redis, keyPrefix: `${prefix}-${++stores}`, ttlSeconds, profileEntries, logger, now }));

  it('writes one append as one HSET and one PEXPIRE per time bucket, slots of 100 entries, with the time to live', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-layout`, ttlSeconds: 600, profileEntries: 3, keyEntries: 4, logger });
    const pipelines = vi.spyOn(redis, 'pipeline');
    const bucketMs = 60_000;
    const at = Math.floor(Date.now() / bucketMs) * bucketMs + 1;
    const entries = Array.from({ length: 250 }, (_, i) => ({ at: at + (i % 50), stage: 'delivered' as const, role: 'dispatch', requestId: 'r', profileId: 'p', eventIds: ['e', `e${i}`] }));
    expect(await store.append(entries)).toBe(250);
    expect(pipelines).toHaveBeenCalledTimes(1);
    const sent = pipelines.mock.results[0]?.value as { length: number };
    // HSET of the slots and PEXPIRE: one bucket touched.
    expect(sent.length).toBe(2);
    pipelines.mockRestore();
    const key = `${prefix}-layout:trace:${Math.floor(at / bucketMs)}:slots`;
    expect(await redis.hlen(key)).toBe(3);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(660);
    // Reads answer the newest within each key's cap, oldest first.
    expect(await store.byRequest('r')).toHaveLength(4);
    expect(await store.byProfile('p', 50)).toHaveLength(3);
    expect(await store.byEvent('e7')).toEqual([{ ...entries[7], eventIds: ['e7'] }]);
    expect(await store.byEvent('e249')).toEqual([{ ...entries[249], eventIds: ['e249'] }]);
  });

  it('finds an id by its whole text: not inside a longer id, and ids holding glob characters, quotes or non-Latin text', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-glob`, ttlSeconds: 600, profileEntries: 50, logger });
    const at = Date.now();
    const odd = ['a*b', 'a?c', 'x[1]', 'back\\slash', 'q"uote', 'ü€😀'];
    await store.append([
      { at, stage: 'stored', role: 'collector', profileId: 'p10', eventIds: ['e10', 'axb'] },
      ...odd.map((id, i) => ({ at: at + i + 1, stage: 'stored' as const, role: 'collector', profileId: 'p1', eventIds: [id] })),
    ]);
    expect(await store.byEvent('e1')).toEqual([]);
    expect(await store.byEvent('e')).toEqual([]);
    expect((await store.byEvent('e10')).map((e) => e.at)).toEqual([at]);
    // A glob character in an id matches only itself: 'a*b' is not 'axb'.
    for (const [i, id] of odd.entries()) expect((await store.byEvent(id)).map((e) => e.at), id).toEqual([at + i + 1]);
    expect(await store.byProfile('p1', 50)).toHaveLength(odd.length);
    expect(await store.byProfile('p', 50)).toEqual([]);
  });

  it('leaves out only an entry JSON cannot write, and says so', async () => {
    const warnings: string[] = [];
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-bigint`, ttlSeconds: 600, profileEntries: 50, logger: createLogger({ level: 'warn', format: 'text', sink: (line) => warnings.push(line) }) });
    const at = Date.now();
    const entries = [1, 2, 3].map((i) => ({ at: at + i, stage: 'stored' as const, role: 'collector', profileId: 'big', detail: i === 2 ? { n: 1n } : { n: i } }));
    expect(await store.append(entries)).toBe(2);
    expect((await store.byProfile('big', 50)).map((e) => e.detail)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(warnings.join('\n')).toContain('1 cannot be written as JSON');
  });

  it('keeps at most its budget per time to live, spread over the buckets, and says how many it kept', async () => {
    const warnings: string[] = [];
    // 20 entries per 600 s: 2 per one-minute bucket.
    const store = new RedisTraceStore({
      redis,
      keyPrefix: `${prefix}-budget`,
      ttlSeconds: 600,
      profileEntries: 50,
      maxEntries: 20,
      logger: createLogger({ level: 'warn', format: 'text', sink: (line) => warnings.push(line) }),
    });
    const at = Math.floor(Date.now() / 60_000) * 60_000;
    const entries = Array.from({ length: 5 }, (_, i) => ({ at: at + i, stage: 'stored' as const, role: 'collector', profileId: 'budget' }));
    expect(await store.append(entries)).toBe(2);
    expect(await store.append([{ at: at + 60_000, stage: 'stored', role: 'collector', profileId: 'budget' }])).toBe(1);
    expect(await store.byProfile('budget', 50)).toHaveLength(3);
    expect(warnings.join('\n')).toContain('trace budget of this process reached: 3 entries not kept');
  });

  it('is written out by the recorder at the end of each loop turn and appended later in batches, counting kept, dropped over the budget and failed', async () => {
    // 50 entries per 600 s: 5 per one-minute bucket.
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-turns`, ttlSeconds: 600, profileEntries: 50, maxEntries: 50, logger });
    const encoded = countEncodes(store);
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store, counts, logger, flushMs: 60_000, batchSize: 4, gatherMs: 0 });
    const at = Math.floor(Date.now() / 60_000) * 60_000 + 1;
    const entry = (i: number, detail: Record<string, unknown> = { i }) => ({ at: at + i, stage: 'stored' as const, role: 'collector', profileId: 'turns', requestId: `t${i}`, detail });
    recorder.record(entry(1));
    recorder.record(entry(2, { n: 2n }));
    recorder.record(entry(3));
    expect(encoded).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    // Written out once for the turn; the entry JSON cannot write failed alone; two wait, under the batch size.
    expect(encoded).toEqual([3]);
    expect(counts).toEqual({ appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 1 } });
    expect(await store.byProfile('turns', 50)).toEqual([]);
    // The next turn: four more, of which the bucket's budget (5, one given back by the failed one) takes three.
    for (const i of [4, 5, 6, 7]) recorder.record(entry(i));
    await recorder.flush();
    expect(encoded).toEqual([3, 4]);
    expect(counts).toEqual({ appended: { value: 5 }, dropped: { value: 1 }, failed: { value: 1 } });
    expect((await store.byProfile('turns', 50)).map((e) => e.at - at)).toEqual([1, 3, 4, 5, 6]);
    expect((await store.byRequest('t4')).map((e) => e.detail)).toEqual([{ i: 4 }]);
    await recorder.close();
  });

  it('gathers small turns for gatherMs before writing them out, and writes 128 entries out at once', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-gather`, ttlSeconds: 600, profileEntries: 500, keyEntries: 500, logger });
    const encoded = countEncodes(store);
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store, counts, logger, flushMs: 60_000, batchSize: 1_000, gatherMs: 100 });
    const at = Date.now();
    let next = 0;
    const turn = async (size: number) => {
      for (let i = 0; i < size; i++, next++) recorder.record({ at: at + next, stage: 'queued', role: 'edge', requestId: `g${next}`, profileId: 'gather', eventIds: [`ge${next}`] });
      await new Promise((resolve) => setImmediate(resolve));
    };
    // Three turns of three, as an edge on Pulsar records them (a turn per broker receipt): one write-out.
    await turn(3);
    await turn(3);
    await turn(3);
    expect(encoded).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(encoded).toEqual([9]);
    // A busy turn does not wait: every 128 entries are written out at once, the rest after gatherMs.
    await turn(130);
    expect(encoded).toEqual([9, 128]);
    await recorder.close();
    expect(encoded).toEqual([9, 128, 2]);
    expect(counts).toEqual({ appended: { value: 139 }, dropped: { value: 0 }, failed: { value: 0 } });
    expect((await store.byProfile('gather', 500)).map((e) => e.at - at)).toEqual(Array.from({ length: 139 }, (_, i) => i));
    expect((await store.byEvent('ge4')).map((e) => e.requestId)).toEqual(['g4']);
  });

  it('appends on close what is recorded while close waits for an append, and only counts what comes after', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-closing`, ttlSeconds: 600, profileEntries: 50, logger });
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store, counts, logger, flushMs: 60_000 });
    const at = Date.now();
    const entry = (i: number) => ({ at: at + i, stage: 'queued' as const, role: 'edge', requestId: `c${i}`, profileId: 'closing' });
    recorder.record(entry(0));
    const closing = recorder.close();
    // The first append is on its way: a request answered meanwhile is still recorded.
    recorder.record(entry(1));
    await closing;
    recorder.record(entry(2));
    expect(counts).toEqual({ appended: { value: 2 }, dropped: { value: 1 }, failed: { value: 0 } });
    expect((await store.byProfile('closing', 50)).map((e) => e.requestId)).toEqual(['c0', 'c1']);
  });

  it('joins small turns into hash fields of up to 100 entries, each found by its ids', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-join`, ttlSeconds: 600, profileEntries: 500, keyEntries: 500, logger });
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store, counts, logger, flushMs: 60_000, batchSize: 1_000, gatherMs: 0 });
    const bucketMs = 60_000;
    const at = Math.floor(Date.now() / bucketMs) * bucketMs + 1;
    // 30 turns of 7 entries: 14 turns (98 entries) fit a field, so 3 fields (14, 14 and 2 turns).
    for (let turn = 0; turn < 30; turn++) {
      for (let i = 0; i < 7; i++) {
        const n = turn * 7 + i;
        recorder.record({ at: at + n, stage: 'queued', role: 'edge', requestId: `j${n}`, profileId: 'join', eventIds: [`je${n}`], detail: { lane: n % 3 } });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await recorder.close();
    expect(counts).toEqual({ appended: { value: 210 }, dropped: { value: 0 }, failed: { value: 0 } });
    expect(await redis.hlen(`${prefix}-join:trace:${Math.floor(at / bucketMs)}:slots`)).toBe(3);
    const all = await store.byProfile('join', 500);
    expect(all.map((e) => e.at - at)).toEqual(Array.from({ length: 210 }, (_, n) => n));
    expect(await store.byRequest('j100')).toEqual([{ at: at + 100, stage: 'queued', role: 'edge', requestId: 'j100', profileId: 'join', eventIds: ['je100'], detail: { lane: 1 } }]);
    expect((await store.byEvent('je209')).map((e) => e.requestId)).toEqual(['j209']);
  });

  it('drops whole turns, unwritten, while its buffer is full behind a slow append, and appends the rest once it returns', async () => {
    const store = new RedisTraceStore({ redis, keyPrefix: `${prefix}-full`, ttlSeconds: 600, profileEntries: 500, logger });
    const encoded = countEncodes(store);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const appendEncoded = store.appendEncoded.bind(store);
    store.appendEncoded = async (batches) => {
      await gate;
      return appendEncoded(batches);
    };
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    // Room for 200 entries (at least a whole turn, 128, is always allowed).
    const recorder = new TraceRecorder({ store, counts, logger, flushMs: 1, batchSize: 2, maxBuffered: 200, gatherMs: 0 });
    const at = Date.now();
    let next = 0;
    const turn = async (size: number) => {
      for (let i = 0; i < size; i++, next++) recorder.record({ at: at + next, stage: 'stored', role: 'collector', profileId: 'full', requestId: `f${next}` });
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await turn(2); // appending, held at the gate
    await turn(150); // buffered: 150 of 200, handed over as 128 and 22
    await turn(60); // no room: dropped, never written out
    expect(encoded).toEqual([2, 128, 22]);
    expect(counts.dropped.value).toBe(60);
    open();
    await recorder.close();
    expect(counts).toEqual({ appended: { value: 152 }, dropped: { value: 60 }, failed: { value: 0 } });
    expect((await store.byProfile('full', 500)).map((e) => e.at - at)).toEqual(Array.from({ length: 152 }, (_, i) => i));
  });

  it('rejects an append Redis did not take, which the recorder counts as failed and logs once; reads reject too', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
    down.on('error', () => undefined);
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'text', sink: (line) => warnings.push(line) });
    const blind = new RedisTraceStore({ redis: down, keyPrefix: prefix, ttlSeconds: 60, profileEntries: 10, logger });
    await expect(blind.append([{ at: 1, stage: 'edge', role: 'edge', requestId: 'x' }])).rejects.toThrow('trace of 1 entries not kept');
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store: blind, counts, logger, flushMs: 1 });
    recorder.record({ at: 2, stage: 'edge', role: 'edge', requestId: 'x' });
    recorder.record({ at: 3, stage: 'edge', role: 'edge', requestId: 'y' });
    await recorder.close();
    expect(counts).toEqual({ appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 2 } });
    expect(warnings.filter((line) => line.includes('trace entries not kept'))).toHaveLength(1);
    await expect(blind.byRequest('x')).rejects.toThrow();
    down.disconnect();
  });
});

/** The sizes of the batches the store is asked to write out, in order. */
function countEncodes(store: RedisTraceStore): number[] {
  const encoded: number[] = [];
  const encode = store.encode.bind(store);
  store.encode = (entries) => {
    encoded.push(entries.length);
    return encode(entries);
  };
  return encoded;
}
