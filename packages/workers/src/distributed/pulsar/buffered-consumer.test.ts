import { describe, expect, it } from 'vitest';
import type { QueueMessage } from '@inflow/core';
import { countWithin } from './buffered-consumer.js';

const message = (bytes: number): QueueMessage => ({ id: String(bytes), key: 'k', data: new Uint8Array(bytes), redeliveryCount: 0, publishedAt: 0 });

describe('countWithin', () => {
  const buffer = [message(4), message(4), message(10), message(3)];

  it('takes the first messages that fit in the byte budget and the count', () => {
    expect(countWithin(buffer, 10, 8)).toBe(2);
    expect(countWithin(buffer, 10, 17)).toBe(2);
    expect(countWithin(buffer, 10, 18)).toBe(3);
    expect(countWithin(buffer, 2, 1_000)).toBe(2);
    expect(countWithin(buffer, 10, Infinity)).toBe(4);
  });

  it('takes a first message larger than the budget alone, and none from an empty buffer', () => {
    expect(countWithin(buffer.slice(2), 10, 5)).toBe(1);
    expect(countWithin([], 10, 5)).toBe(0);
  });
});
