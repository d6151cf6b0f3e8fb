import { describe, expect, it } from 'vitest';
import { eventMark, MARK_CHARS, remember, rememberedCount, unseenEvents } from './event-marks.js';

describe('event marks', () => {
  it('packs the marks into one string, oldest first, keeping the newest', () => {
    let kept: string[] = [];
    for (let i = 0; i < 10; i++) kept = remember(kept, unseenEvents([`e${i}`], kept), 4);
    expect(kept).toEqual([['e6', 'e7', 'e8', 'e9'].map(eventMark).join('')]);
    expect(rememberedCount(kept)).toBe(4);
    expect(unseenEvents(['e5', 'e6', 'e9', 'new', 'new'], kept)).toEqual([eventMark('e5'), eventMark('new')]);
  });

  it('matches a mark only at a mark boundary', () => {
    const half = 'A'.repeat(MARK_CHARS / 2);
    const unaligned = half + eventMark('a') + half;
    expect(unseenEvents(['a'], [unaligned])).toEqual([eventMark('a')]);
    expect(unseenEvents(['a'], [half + half + eventMark('a')])).toEqual([]);
  });

  it('treats a value that is not a packed list as older single marks', () => {
    expect(rememberedCount(['x'])).toBe(1);
    expect(remember(['x'], [eventMark('a')], 8)).toEqual(['x', eventMark('a')]);
  });
});
