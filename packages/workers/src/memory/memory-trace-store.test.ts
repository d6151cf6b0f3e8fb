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
    await recorder.close();
  });

  it('refuses a bound that is not a whole number above 0', () => {
    expect(() => new MemoryTraceStore({ maxEntries: 0, ttlMs: 1 })).toThrow('maxEntries must be a whole number above 0');
  });
});
