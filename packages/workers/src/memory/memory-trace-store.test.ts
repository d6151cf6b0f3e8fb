import { describe, expect, it } from 'vitest';
import type { TraceEntry } from '@inflow/core';
import { traceStoreContract } from '../test-support/trace-store-contract.js';
import { MemoryTraceStore } from './memory-trace-store.js';

describe('MemoryTraceStore', () => {
  traceStoreContract(async ({ ttlSeconds, profileEntries, now }) => new MemoryTraceStore({ maxEntries: 10_000, ttlMs: ttlSeconds * 1000, profileEntries, now }));

  it('keeps at most maxEntries in all, the oldest leaving first from every list', async () => {
    const store = new MemoryTraceStore({ maxEntries: 3, ttlMs: 60_000, now: () => 10 });
    const entry = (i: number): TraceEntry => ({ at: i, stage: 'stored', role: 'collector', requestId: `r${i % 2}`, profileId: 'p', eventIds: [`e${i}`] });
    await store.append([1, 2, 3, 4, 5].map(entry));
    expect((await store.byProfile('p', 50)).map((e) => e.at)).toEqual([3, 4, 5]);
    expect((await store.byRequest('r1')).map((e) => e.at)).toEqual([3, 5]);
    expect(await store.byEvent('e2')).toEqual([]);
    expect(await store.byEvent('e5')).toEqual([entry(5)]);
  });
});
