import { describe, expect, it } from 'vitest';
import { type EarlyCall, keepEarlyCall, MAX_EARLY_CALLS } from './early-calls.js';

describe('calls made on the script tag before init', () => {
  it('are kept up to 1000, the first ones in order; later ones are dropped', () => {
    const early: EarlyCall[] = [];
    for (let i = 0; i < 1500; i++) keepEarlyCall(early, ['track', [`event-${i}`]]);
    expect(MAX_EARLY_CALLS).toBe(1000);
    expect(early).toHaveLength(1000);
    expect(early[0]).toEqual(['track', ['event-0']]);
    expect(early[999]).toEqual(['track', ['event-999']]);
  });
});
