import { describe, expect, it } from 'vitest';
import { decide, retryAfterMs } from './retry-policy.js';

const options = { baseMs: 500, maxMs: 30_000, maxAttempts: 5 };
const max = () => 0.999999;

describe('decide', () => {
  it.each([
    [{ status: 200 }, 'done'],
    [{ status: 201 }, 'done'],
    [{ status: 413 }, 'split'],
    [{ status: 400 }, 'drop'],
    [{ status: 403 }, 'drop'],
    [{ status: 404 }, 'drop'],
    [{ status: 415 }, 'drop'],
    [{ status: 408 }, 'retry'],
    [{ status: 429 }, 'retry'],
    [{ status: 500 }, 'retry'],
    [{ status: 502 }, 'retry'],
    [{ status: 503 }, 'retry'],
    [{ status: 504 }, 'retry'],
    [{ network: true }, 'retry'],
  ])('%j → %s', (outcome, kind) => {
    expect(decide(outcome, 0, options).kind).toBe(kind);
  });

  it('backs off exponentially up to the cap, with full jitter', () => {
    const ceilings = [0, 1, 2, 3, 4].map((attempt) => decide({ status: 503 }, attempt, { ...options, maxMs: 4000 }, max));
    expect(ceilings.map((d) => (d.kind === 'retry' ? d.ms : -1))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(decide({ status: 503 }, 3, options, () => 0)).toEqual({ kind: 'retry', ms: 0 });
  });

  it('never retries sooner than Retry-After', () => {
    expect(decide({ status: 503, retryAfterMs: 5000 }, 0, options, () => 0)).toEqual({ kind: 'retry', ms: 5000 });
  });

  it('gives up after the last attempt', () => {
    expect(decide({ status: 503 }, 5, options)).toMatchObject({ kind: 'drop' });
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
