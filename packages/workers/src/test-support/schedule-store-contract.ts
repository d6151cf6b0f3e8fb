import { expect, it } from 'vitest';
import type { ScheduleStore } from '@inflow/core';

/** What every ScheduleStore adapter must do; each adapter's test file runs it on its own store. */
export function scheduleStoreContract(store: () => Promise<ScheduleStore>, settle: () => Promise<void> = async () => {}): void {
  it('keeps items until due, leases each to one worker, re-leases an expired lease, and forgets completed ones for good', async () => {
    const s = await store();
    const t = 1_000_000;
    await s.schedule([
      { id: 'a', dueAt: t + 10, profileId: 'p1', data: { step: 1 } },
      { id: 'b', dueAt: t + 20, profileId: 'p2', data: { step: 2 } },
      { id: 'c', dueAt: t + 5_000, profileId: 'p1', data: { step: 3 } },
    ]);
    await s.schedule([{ id: 'a', dueAt: t + 99, profileId: 'p1', data: { step: 'again' } }]);
    await settle();
    expect((await s.list(10)).map((item) => [item.id, item.dueAt, item.data])).toEqual([
      ['a', t + 10, { step: 1 }],
      ['b', t + 20, { step: 2 }],
      ['c', t + 5_000, { step: 3 }],
    ]);
    expect((await s.list(10, 'p1')).map((item) => item.id)).toEqual(['a', 'c']);

    expect(await s.leaseDue(t, 10, 'w1', 1_000)).toEqual([]);
    const [first, second] = await Promise.all([s.leaseDue(t + 30, 10, 'w1', 1_000), s.leaseDue(t + 30, 10, 'w2', 1_000)]);
    const leased = [...first, ...second].map((item) => item.id).sort();
    expect(leased).toEqual(['a', 'b']);
    await settle();
    expect(await s.leaseDue(t + 500, 10, 'w3', 1_000)).toEqual([]);

    expect(await s.complete('a')).toBe(true);
    expect(await s.complete('a')).toBe(false);
    expect(await s.complete('nope')).toBe(false);
    await s.schedule([{ id: 'a', dueAt: t, profileId: 'p1', data: {} }]);
    await settle();
    // b's lease ran out (its worker died): leased again; a is done and stays done.
    expect((await s.leaseDue(t + 2_000, 10, 'w3', 1_000)).map((item) => item.id)).toEqual(['b']);
    expect((await s.list(10)).map((item) => item.id)).toEqual(['b', 'c']);
  });
}
