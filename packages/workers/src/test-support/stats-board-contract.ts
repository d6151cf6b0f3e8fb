import { expect, it } from 'vitest';
import type { InstanceSnapshot, StatsBoard } from '@inflow/core';

/** What every StatsBoard adapter must do; each adapter's test file runs it on a fresh board per call. */
export function statsBoardContract(board: (ttlMs: number, now: () => number) => Promise<StatsBoard>): void {
  const T = 1_700_000_000_000;
  const snapshot = (instance: string, at: number, stored: number): InstanceSnapshot => ({
    instance,
    role: instance.split('@')[0] ?? instance,
    at,
    counters: { 'collector.events.received': stored + 1, 'collector.events.stored': stored },
    gauges: { 'collector.events.pending': 1 },
  });

  it('keeps each instance\'s latest snapshot, read by instance', async () => {
    let now = T;
    const b = await board(15_000, () => now);
    expect(await b.read()).toEqual([]);
    await b.publish(snapshot('collector@b', T, 1));
    await b.publish(snapshot('collector@a', T, 5));
    now += 5_000;
    await b.publish(snapshot('collector@b', now, 7));
    expect(await b.read()).toEqual([snapshot('collector@a', T, 5), snapshot('collector@b', T + 5_000, 7)]);
  });

  it('drops an instance that stopped publishing for the time to live, and takes it back when it publishes again', async () => {
    let now = T;
    const b = await board(15_000, () => now);
    await b.publish(snapshot('edge@gone', T, 1));
    now += 10_000;
    await b.publish(snapshot('edge@alive', now, 2));
    now += 5_001;
    expect((await b.read()).map((s) => s.instance)).toEqual(['edge@alive']);
    expect((await b.read()).map((s) => s.instance)).toEqual(['edge@alive']);
    await b.publish(snapshot('edge@gone', now, 3));
    expect((await b.read()).map((s) => [s.instance, s.counters['collector.events.stored']])).toEqual([
      ['edge@alive', 2],
      ['edge@gone', 3],
    ]);
    now += 15_001;
    expect(await b.read()).toEqual([]);
  });
}
