import type { TraceEntry } from '@inflow/core';
import { describe, expect, it } from 'vitest';
import { readSlots, slotJson, writableSlot } from './slot-json.js';

const shared = Object.freeze({ source: 'web', topic: 'collector', lane: 3, confirmedInMs: 2 });

describe('trace slots', () => {
  it('reads back every entry as given, in order, across stages and roles that alternate', () => {
    const entries: TraceEntry[] = [
      { at: 1_764_500_000_100, stage: 'queued', role: 'edge', requestId: 'r1', profileId: 'p1', eventIds: ['e1', 'e2'], detail: shared },
      { at: 1_764_500_000_090, stage: 'queued', role: 'edge', requestId: 'r2', profileId: 'p2', eventIds: [], detail: shared },
      { at: 1_764_500_000_120, stage: 'stored', role: 'collector', requestId: 'r1', profileId: 'p1', eventIds: ['e1'], detail: { session: 's1', duplicates: 1 } },
      { at: 1_764_500_000_120, stage: 'deduplicated', role: 'collector', requestId: 'r1', profileId: 'p1', eventIds: ['e2'], detail: { session: 's1' } },
      { at: 1_764_500_000_130, stage: 'dead-lettered', role: 'collector', detail: { reason: 'bad "quote" \\ and ünïcode' } },
      { at: 1_764_500_000_140, stage: 'queued', role: 'edge', requestId: 'r3', eventIds: ['e3'], detail: shared },
    ];
    const text = slotJson(entries);
    expect(readSlots(text)).toEqual(entries);
    // The frozen detail is written once for the three entries sharing it.
    expect(text.split('"confirmedInMs"')).toHaveLength(2);
  });

  it('finds an id by its JSON text (the memory store searches the buffer for it)', () => {
    const id = 'ev"il\\id\u2028';
    const text = slotJson([{ at: 1, stage: 'queued', role: 'edge', requestId: 'r', eventIds: ['a', id] }]);
    expect(text).toContain(JSON.stringify(id));
    expect(readSlots(text)[0]?.eventIds).toEqual(['a', id]);
  });

  it('reads slots written a row per entry (the format before), alone or joined with new ones', () => {
    const rows = JSON.stringify({ d: [shared], r: [[5, 'queued', 'edge', 'r0', 'p0', ['e0'], 0], [6, 'stored', 'collector', 'r0', null, null, { session: 's' }]] });
    const fresh = slotJson([{ at: 7, stage: 'queued', role: 'edge', requestId: 'r9' }]);
    expect(readSlots(`[${rows},${fresh}]`)).toEqual([
      { at: 5, stage: 'queued', role: 'edge', requestId: 'r0', profileId: 'p0', eventIds: ['e0'], detail: shared },
      { at: 6, stage: 'stored', role: 'collector', requestId: 'r0', detail: { session: 's' } },
      { at: 7, stage: 'queued', role: 'edge', requestId: 'r9' },
    ]);
  });

  it('leaves out only the entry JSON cannot write', () => {
    const slot = writableSlot([
      { at: 1, stage: 'rule', role: 'workflow', eventIds: ['e1'], detail: { n: 1n } },
      { at: 2, stage: 'rule', role: 'workflow', eventIds: ['e2'], detail: { n: 2 } },
    ]);
    expect(slot.failed).toBe(1);
    expect(readSlots(slot.json)).toEqual([{ at: 2, stage: 'rule', role: 'workflow', eventIds: ['e2'], detail: { n: 2 } }]);
  });
});
