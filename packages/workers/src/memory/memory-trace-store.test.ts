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
    for (let i = 6; i <= 17; i++) store.keep(entry(i));
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([15, 16, 17]);
    expect((await store.byProfile('p', 2)).map((e) => e.at)).toEqual([16, 17]);
  });

  it('is kept at once by the recorder: readable without a flush, counted as appended', async () => {
    const store = new MemoryTraceStore({ maxEntries: 100, ttlMs: 60_000, now: () => 10 });
    const counts = { appended: { value: 0 }, dropped: { value: 0 }, failed: { value: 0 } };
    const recorder = new TraceRecorder({ store, counts, logger: createLogger({ level: 'error', format: 'text' }), flushMs: 60_000 });
    recorder.record(entry(1));
    recorder.record(entry(2));
    expect((await store.byProfile('p', 10)).map((e) => e.at)).toEqual([1, 2]);
    expect(counts.appended.value).toBe(2);
    // An entry whose detail cannot be written is counted as failed; the stage never sees an error.
    expect(() => recorder.record({ ...entry(3), detail: { big: 1n } })).not.toThrow();
    expect(counts).toEqual({ appended: { value: 2 }, dropped: { value: 0 }, failed: { value: 1 } });
    await recorder.close();
  });

  it('keeps the newest entries that fit in its bytes, around the buffer many times, and refuses one too large', async () => {
    const store = new MemoryTraceStore({ maxEntries: 1_000, maxBytes: 4_096, ttlMs: 60_000, now: () => 10 });
    const all: TraceEntry[] = [];
    for (let i = 0; i < 600; i++) {
      // Sizes vary (a detail of 0 to 300 characters), so the buffer wraps at changing places.
      const next: TraceEntry = { ...entry(i), detail: { note: 'x'.repeat((i * 37) % 300) } };
      expect(store.keep(next)).toBe(true);
      all.push(next);
      const kept = await store.byProfile('p', 1_000);
      // Always a run of the newest ones, ending with the one just kept, within the bytes.
      expect(kept).toEqual(all.slice(all.length - kept.length));
      expect(kept.map((e) => JSON.stringify(e).length).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4_096);
      if (i > 50) expect(kept.length).toBeGreaterThan(8);
    }
    expect(store.keep({ ...entry(999), detail: { note: 'x'.repeat(2_000) } })).toBe(false);
    expect((await store.byProfile('p', 1)).map((e) => e.at)).toEqual([599]);
    // The same bound wherever the buffer stands: refused at its start too.
    const fresh = new MemoryTraceStore({ maxEntries: 10, maxBytes: 4_096, ttlMs: 60_000, now: () => 10 });
    expect(fresh.keep({ ...entry(1), detail: { note: 'x'.repeat(1_100) } })).toBe(false);
    expect(fresh.keep({ ...entry(2), detail: { note: 'x'.repeat(900) } })).toBe(true);
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
