import { describe, expect, it } from 'vitest';
import { createLogger, type TraceEntry, TraceRecorder } from '@inflow/core';
import { traceStoreContract } from '../test-support/trace-store-contract.js';
import { MemoryTraceStore } from './memory-trace-store.js';

describe('MemoryTraceStore', () => {
  traceStoreContract(async ({ ttlSeconds, profileEntries, now }) => new MemoryTraceStore({ maxEntries: 10_000, ttlMs: ttlSeconds * 1000, profileEntries, now }));

  const entry = (i: number): TraceEntry => ({ at: i, stage: 'stored', role: 'collector', requestId: `r${i % 2}`, profileId: 'p', eventIds: [`e${i}`] });

  it('keeps at most maxEntries in all, the oldest leaving first from every list', async () => {
    const store = new MemoryTraceStore({ maxEntries: 3, ttlMs: 60_000, now: () => 10 });
    await store.append([1, 2, 3, 4, 5].map(entry));
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([3, 4, 5]);
    expect((await store.byRequest('r1')).map((e) => e.at)).toEqual([3, 5]);
    expect(await store.byEvent('e2')).toEqual([]);
    expect(await store.byEvent('e5')).toEqual([entry(5)]);
    // Around the ring several times, one at a time: still the newest three, oldest first.
    for (let i = 6; i <= 17; i++) store.keep([entry(i)]);
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([15, 16, 17]);
    expect((await store.byProfile('p', 2)).map((e) => e.at)).toEqual([16, 17]);
  });

  it("holds maxEntries of an edge's one-event entries in its default bytes, ids as long as UUIDs", async () => {
    const maxEntries = 2_048; // twice round the ring is 64 turns of 64
    const store = new MemoryTraceStore({ maxEntries, ttlMs: 60_000, now: () => 10 });
    const detail = Object.freeze({ source: 'website-main', topic: 'collector', lane: 3, confirmedInMs: 2 });
    const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(6, '0')}-5f3a9c2b-41d7-4e0a-9b1c`;
    const queued = (i: number): TraceEntry => ({
      at: 1_700_000_000_000 + i,
      stage: 'queued',
      role: 'edge',
      requestId: `${String(i).padStart(8, '0')}-3b1f-4c6e-8d2a-9e7f1a2b3c4d`,
      profileId: id('p', i % 97),
      eventIds: [id('e', i)],
      detail,
    });
    // In turns of 64, as a busy edge writes them, twice round the ring.
    for (let at = 0; at < 2 * maxEntries; at += 64) store.keep(Array.from({ length: 64 }, (_, k) => queued(at + k)));
    const last = 2 * maxEntries - 1;
    const oldestKept = 2 * maxEntries - maxEntries;
    // The newest maxEntries are all there: the bytes did not push out any of them.
    expect((await store.byEvent(id('e', oldestKept))).map((e) => e.at)).toEqual([queued(oldestKept).at]);
    expect((await store.byEvent(id('e', oldestKept - 1))).map((e) => e.at)).toEqual([]);
    expect((await store.byRequest(queued(last).requestId as string))[0]).toEqual({ ...queued(last), eventIds: queued(last).eventIds });
  });

  it('is kept by the recorder at the end of the loop turn, one slot per turn: readable then, counted as appended', async () => {
    const store = new MemoryTraceStore({ maxEntries: 100, ttlMs: 60_000, now: () => 10 });
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store, counts, logger: createLogger({ level: 'error', format: 'text' }), flushMs: 60_000 });
    recorder.record(entry(1));
    recorder.record(entry(2));
    // Not yet in this turn: written together at its end.
    expect(await store.byProfile('p', 10)).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await store.byProfile('p', 10)).map((e) => e.at)).toEqual([1, 2]);
    expect(counts.appended.value).toBe(2);
    // An entry whose detail cannot be written is counted as failed, and only it: the stage never sees an error.
    expect(() => recorder.record({ ...entry(3), detail: { big: 1n } })).not.toThrow();
    recorder.record(entry(4));
    await recorder.flush();
    expect(counts).toEqual({ appended: { value: 3 }, dropped: { value: 0 }, failed: { value: 1 } });
    expect((await store.byProfile('p', 10)).map((e) => e.at)).toEqual([1, 2, 4]);
    await recorder.close();
  });

  it('refuses a store that encodes entries but cannot append what it encoded, or the other way round', () => {
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const logger = createLogger({ level: 'error', format: 'text' });
    const append = () => Promise.resolve(0);
    const encode = (entries: readonly TraceEntry[]) => ({ entries: entries.length, dropped: 0, failed: 0 });
    expect(() => new TraceRecorder({ store: { append, encode }, counts, logger })).toThrow('must both encode and append');
    expect(() => new TraceRecorder({ store: { append, appendEncoded: append }, counts, logger })).toThrow('must both encode and append');
    expect(() => new TraceRecorder({ store: { append, encode, appendEncoded: append }, counts, logger })).not.toThrow();
  });

  it('hands a busy turn to the store every 128 entries, and counts a store that throws as failed', async () => {
    const batches: number[] = [];
    const store = new MemoryTraceStore({ maxEntries: 1_000, ttlMs: 60_000, now: () => 10 });
    const counting = {
      append: (entries: readonly TraceEntry[]) => store.append(entries),
      keep: (entries: readonly TraceEntry[]) => {
        batches.push(entries.length);
        if (entries.some((e) => e.at === -1)) throw new Error('store broke');
        return store.keep(entries);
      },
    };
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store: counting, counts, logger: createLogger({ level: 'error', format: 'text' }) });
    for (let i = 0; i < 300; i++) recorder.record(entry(i));
    expect(batches).toEqual([128, 128]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([128, 128, 44]);
    recorder.record(entry(-1));
    recorder.record(entry(301));
    await recorder.flush();
    expect(counts).toEqual({ appended: { value: 300 }, dropped: { value: 0 }, failed: { value: 2 } });
    expect((await store.byProfile('p', 1_000)).map((e) => e.at)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('keeps maxEntries of a batch larger than that, and lets the oldest of a slot go one by one', async () => {
    const store = new MemoryTraceStore({ maxEntries: 4, ttlMs: 60_000, now: () => 10 });
    expect(store.keep([1, 2, 3, 4, 5, 6].map(entry))).toEqual({ kept: 6, dropped: 0, failed: 0 });
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([3, 4, 5, 6]);
    store.keep([entry(7)]);
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([4, 5, 6, 7]);
    store.keep([entry(8), entry(9)]);
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([6, 7, 8, 9]);
    expect((await store.byRequest('r0')).map((e) => e.at)).toEqual([6, 8]);
    expect(await store.byEvent('e5')).toEqual([]);
    expect(await store.byEvent('e6')).toEqual([entry(6)]);
  });

  it('splits a batch too large for one slot, and drops only an entry too large alone', async () => {
    const store = new MemoryTraceStore({ maxEntries: 1_000, maxBytes: 4_096, ttlMs: 60_000, now: () => 10 });
    const batch = Array.from({ length: 12 }, (_, i): TraceEntry => ({ ...entry(i), detail: { note: 'x'.repeat(i === 5 ? 2_000 : 150) } }));
    expect(store.keep(batch)).toEqual({ kept: 11, dropped: 1, failed: 0 });
    // All the others fit (about 2.2 KB of 4 KB), in order, the large one left out.
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });

  it('holds at most maxEntries, the newest, when the bytes let go of a head slot that was partly gone', async () => {
    // Slots of three entries of about 300 bytes: four slots fill the buffer, twelve entries, so
    // maxEntries (10) lets the two oldest of the head slot go first, and the next wrap takes the rest of it.
    const store = new MemoryTraceStore({ maxEntries: 10, maxBytes: 4_096, ttlMs: 60_000, now: () => 10 });
    const all: TraceEntry[] = [];
    for (let i = 0; i < 90; i += 3) {
      const batch = [i, i + 1, i + 2].map((at): TraceEntry => ({ ...entry(at), detail: { note: 'y'.repeat(200 + ((at * 53) % 70)) } }));
      expect(store.keep(batch)).toEqual({ kept: 3, dropped: 0, failed: 0 });
      all.push(...batch);
      // By request: reads by profile stop at maxEntries themselves.
      const kept = [...(await store.byRequest('r0')), ...(await store.byRequest('r1'))].map((e) => e.at).sort((a, b) => a - b);
      expect(kept).toEqual(all.slice(-kept.length).map((e) => e.at));
      expect(kept.length).toBeLessThanOrEqual(10);
      if (i >= 12) expect(kept.length).toBeGreaterThanOrEqual(6);
    }
  });

  it('answers only the rows of a slot that are within the time to live', async () => {
    let now = 1_000_000;
    const store = new MemoryTraceStore({ maxEntries: 100, ttlMs: 60_000, now: () => now });
    store.keep([{ ...entry(1), at: now - 50_000 }, { ...entry(2), at: now }]);
    expect(await store.byProfile('p', 10)).toHaveLength(2);
    now += 20_000;
    expect((await store.byProfile('p', 10)).map((e) => e.at)).toEqual([1_000_000]);
    expect(await store.byEvent('e1')).toEqual([]);
  });

  it('keeps the newest entries that fit in its bytes, around the buffer many times, and refuses one too large', async () => {
    const store = new MemoryTraceStore({ maxEntries: 1_000, maxBytes: 4_096, ttlMs: 60_000, now: () => 10 });
    const all: TraceEntry[] = [];
    for (let i = 0; i < 600; i++) {
      // Sizes vary (a detail of 0 to 300 characters), so the buffer wraps at changing places.
      const next: TraceEntry = { ...entry(i), detail: { note: 'x'.repeat((i * 37) % 300) } };
      expect(store.keep([next]).kept).toBe(1);
      all.push(next);
      const kept = await store.byProfile('p', 1_000);
      // Always a run of the newest ones, ending with the one just kept, within the bytes.
      expect(kept).toEqual(all.slice(all.length - kept.length));
      // Within the buffer's bytes: each kept entry takes its note and at least 50 bytes of fields.
      expect(kept.map((e) => String(e.detail?.['note']).length + 50).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4_096);
      if (i > 50) expect(kept.length).toBeGreaterThan(8);
    }
    expect(store.keep([{ ...entry(999), detail: { note: 'x'.repeat(2_000) } }])).toEqual({ kept: 0, dropped: 1, failed: 0 });
    expect((await store.byProfile('p', 1)).map((e) => e.at)).toEqual([599]);
    // The same bound wherever the buffer stands: refused at its start too.
    const fresh = new MemoryTraceStore({ maxEntries: 10, maxBytes: 4_096, ttlMs: 60_000, now: () => 10 });
    expect(fresh.keep([{ ...entry(1), detail: { note: 'x'.repeat(1_100) } }]).dropped).toBe(1);
    expect(fresh.keep([{ ...entry(2), detail: { note: 'x'.repeat(900) } }]).kept).toBe(1);
  });

  it('finds an id by its whole JSON text: not inside a longer id, and ids with quotes or non-Latin text', async () => {
    const store = new MemoryTraceStore({ maxEntries: 100, ttlMs: 60_000, now: () => 10 });
    const odd = 'e"1\\ü€😀';
    await store.append([
      { at: 1, stage: 'stored', role: 'collector', profileId: 'p', eventIds: ['e10'] },
      { at: 2, stage: 'stored', role: 'collector', profileId: 'e1', eventIds: [odd] },
      { at: 3, stage: 'stored', role: 'collector', profileId: 'p', eventIds: ['e1', 'e2'] },
    ]);
    expect((await store.byEvent('e1')).map((e) => e.at)).toEqual([3]);
    expect(await store.byEvent(odd)).toEqual([{ at: 2, stage: 'stored', role: 'collector', profileId: 'e1', eventIds: [odd] }]);
    expect((await store.byProfile('e1', 10)).map((e) => e.at)).toEqual([2]);
    expect(await store.byEvent('e')).toEqual([]);
  });

  it('refuses a bound that is not a whole number above 0', () => {
    expect(() => new MemoryTraceStore({ maxEntries: 0, ttlMs: 1 })).toThrow('maxEntries must be a whole number above 0');
  });
});
