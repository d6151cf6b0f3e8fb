import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.js';

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('calls each deadline once its time has passed, in the order they were set', () => {
    const deadlines = new Deadlines(100);
    const expired: string[] = [];
    deadlines.set(() => expired.push('a'));
    vi.advanceTimersByTime(40);
    deadlines.set(() => expired.push('b'));
    vi.advanceTimersByTime(59);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(40);
    expect(expired).toEqual(['a', 'b']);
  });

  it('never calls a cleared deadline, wherever it is in the list, and clearing twice is harmless', () => {
    const deadlines = new Deadlines(100);
    const expired: string[] = [];
    const first = deadlines.set(() => expired.push('first'));
    const middle = deadlines.set(() => expired.push('middle'));
    deadlines.set(() => expired.push('last'));
    deadlines.clear(middle);
    deadlines.clear(first);
    deadlines.clear(first);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['last']);
    deadlines.clear(middle);
  });

  it('keeps working after the list ran empty, and for deadlines set while others expire', () => {
    const deadlines = new Deadlines(50);
    const expired: string[] = [];
    deadlines.clear(deadlines.set(() => expired.push('cleared')));
    vi.advanceTimersByTime(30);
    deadlines.set(() => {
      expired.push('one');
      deadlines.set(() => expired.push('set on expiry'));
    });
    vi.advanceTimersByTime(50);
    expect(expired).toEqual(['one']);
    vi.advanceTimersByTime(50);
    expect(expired).toEqual(['one', 'set on expiry']);
  });
});
