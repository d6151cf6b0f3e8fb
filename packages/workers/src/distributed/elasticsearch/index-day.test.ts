import { describe, expect, it } from 'vitest';
import { indexDay } from './elastic-store.js';

describe('indexDay', () => {
  it("places an event by its own time, by the client's clock when sentAt corrected it, so that every attempt lands in one index", () => {
    const receivedAt = '2026-11-24T00:00:02.000Z';
    // Its own time, a second before midnight by a right clock.
    expect(indexDay({ time: '2026-11-23T23:59:59.000Z', receivedAt })).toBe('2026-11-23T23:59:59.000Z');
    // A clock two hours behind, corrected: two attempts whose transit differed put the corrected
    // time on both sides of midnight; the client's own time, the same in both, decides.
    const first = indexDay({ time: '2026-11-23T23:59:59.800Z', clientTime: '2026-11-23T21:59:59.000Z', receivedAt });
    const retry = indexDay({ time: '2026-11-24T00:00:00.300Z', clientTime: '2026-11-23T21:59:59.000Z', receivedAt });
    expect(first).toBe('2026-11-23T21:59:59.000Z');
    expect(retry).toBe(first);
    // A client's time over a week from the receipt: the receive time, corrected or not.
    expect(indexDay({ time: '2025-01-01T00:00:00.000Z', receivedAt })).toBe(receivedAt);
    expect(indexDay({ time: '2026-11-23T23:00:00.000Z', clientTime: '2025-01-01T00:00:00.000Z', receivedAt })).toBe(receivedAt);
  });
});
