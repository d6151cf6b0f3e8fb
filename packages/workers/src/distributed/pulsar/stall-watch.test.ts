import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@inflow/core';
import { StallWatch } from './stall-watch.js';

describe('StallWatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function watch(state: { idle: boolean; backlog: number; stuck?: string[] }) {
    const lines: string[] = [];
    let reconnects = 0;
    const unloaded: string[][] = [];
    const w = new StallWatch({
      everyMs: 1_000,
      idle: () => state.idle,
      backlog: async () => ({ total: state.backlog, stuck: state.stuck ?? [] }),
      reconnect: () => (reconnects += 1),
      unload: async (partitions) => void unloaded.push(partitions),
      label: 'collector/payloads (collector)',
      logger: createLogger({ level: 'warn', format: 'text', sink: (line) => lines.push(line) }),
    });
    return { w, lines, reconnects: () => reconnects, unloaded };
  }

  it('reconnects an idle consumer after two checks in a row find a backlog, then waits longer each time', async () => {
    const state = { idle: true, backlog: 7 };
    const { w, lines, reconnects } = watch(state);
    await vi.advanceTimersByTimeAsync(1_000); // quiet for 1 s: suspected
    expect(reconnects()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000); // still: reconnect
    expect(reconnects()).toBe(1);
    expect(lines.join('\n')).toMatch(/collector\/payloads \(collector\): nothing delivered for 2 s while the subscription has a backlog of 7; reconnecting/);
    // Still stalled: after a pause of 2 s two checks again (reconnect at 5 s), then after 4 s (at 10 s).
    await vi.advanceTimersByTimeAsync(2_000);
    expect(reconnects()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reconnects()).toBe(2);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(reconnects()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reconnects()).toBe(3);
    w.close();
  });

  it('unloads the partitions where no consumer holds the backlog (a stuck dispatcher) instead of reconnecting', async () => {
    const stuck = ['persistent://t/collector/payloads-partition-0'];
    const { w, lines, reconnects, unloaded } = watch({ idle: true, backlog: 97, stuck });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(unloaded).toEqual([stuck]);
    expect(reconnects()).toBe(0);
    expect(lines.join('\n')).toMatch(/backlog of 97, held by no consumer on persistent:\/\/t\/collector\/payloads-partition-0; unloading them/);
    // Not again right away: the pause doubles as for reconnects.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(unloaded).toHaveLength(1);
    w.close();
  });

  it('leaves a busy, progressing or caught-up consumer alone', async () => {
    const state = { idle: false, backlog: 7 };
    const { w, reconnects } = watch(state);
    await vi.advanceTimersByTimeAsync(5_000); // messages in hand
    state.idle = true;
    state.backlog = 0;
    await vi.advanceTimersByTimeAsync(5_000); // nothing to receive
    state.backlog = 3;
    for (let i = 0; i < 5; i++) {
      w.progress(true); // deliveries keep coming
      await vi.advanceTimersByTimeAsync(900);
    }
    expect(reconnects()).toBe(0);
    w.close();
  });

  it('starts over after a delivery: a later stall reconnects after two checks again', async () => {
    const state = { idle: true, backlog: 2 };
    const { w, reconnects } = watch(state);
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(reconnects()).toBe(2);
    w.progress(true);
    await vi.advanceTimersByTimeAsync(3_000); // quiet from the delivery on: suspected 1 s after it, reconnect 2 s after it
    expect(reconnects()).toBe(3);
    w.close();
  });
});
