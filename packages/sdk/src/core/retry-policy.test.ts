import { describe, expect, it } from 'vitest';
import { backoffMs, decide, refusal, retryAfterMs } from './retry-policy.js';
import type { SendResult } from './types.js';

const status = (code: number, retryAfter?: number): SendResult =>
  code < 300 ? { kind: 'ok', status: code, body: {} } : retryAfter === undefined ? { kind: 'http', status: code } : { kind: 'http', status: code, retryAfterMs: retryAfter };

const options = { baseMs: 500, maxMs: 30_000 };
const max = () => 0.999999;

describe('decide', () => {
  it.each([
    [status(200), 'done'],
    [status(201), 'done'],
    [status(413), 'split'],
    [status(400), 'split'],
    [status(422), 'split'],
    [status(401), 'retry'],
    [status(403), 'retry'],
    [status(404), 'retry'],
    [status(408), 'retry'],
    [status(429), 'retry'],
    [status(500), 'retry'],
    [status(502), 'retry'],
    [status(503), 'retry'],
    [status(504), 'retry'],
    [{ kind: 'network', error: 'offline' }, 'retry'],
    [{ kind: 'beacon' }, 'retry'],
  ] satisfies Array<[SendResult, string]>)('%j → %s', (result, kind) => {
    expect(decide(result, 0, options).kind).toBe(kind);
  });

  it('backs off exponentially up to the cap, jittered between half and all of the ceiling', () => {
    const ceilings = [0, 1, 2, 3, 4].map((attempt) => decide(status(503), attempt, { ...options, maxMs: 4000 }, max));
    expect(ceilings.map((d) => (d.kind === 'retry' ? d.ms : -1))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(decide(status(503), 3, options, () => 0)).toEqual({ kind: 'retry', ms: 2000 });
  });

  it('never retries sooner than Retry-After', () => {
    expect(decide(status(503, 5000), 0, options, () => 0)).toEqual({ kind: 'retry', ms: 5000 });
    expect(decide(status(429, 120_000), 0, options, () => 0)).toEqual({ kind: 'retry', ms: 120_000 });
  });

  it('never gives up by attempt count: the thousandth failure still retries', () => {
    expect(decide({ kind: 'network', error: 'offline' }, 1000, options, max)).toEqual({ kind: 'retry', ms: 30_000 });
  });
});

describe('refusal and backoffMs, the parts of decide the tracker core uses', () => {
  it('split what decide splits, for the same reason, and wait as long as decide says', () => {
    for (const code of [200, 400, 401, 413, 422, 429, 503]) {
      const decision = decide(status(code, 2000), 2, options, () => 0.5);
      expect(refusal(status(code, 2000))).toBe(decision.kind === 'split' ? decision.reason : undefined);
      if (decision.kind === 'retry') expect(backoffMs(status(code, 2000), 2, () => 0.5, options.baseMs, options.maxMs)).toBe(decision.ms);
    }
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
