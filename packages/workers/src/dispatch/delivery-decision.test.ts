import { describe, expect, it } from 'vitest';
import { decideDelivery, parseRetryAfter, type AttemptOutcome, type DeliveryPolicy } from './delivery-decision.js';

const policy: DeliveryPolicy = { minAttempts: 5, maxAgeMs: 60_000, baseDelayMs: 100, maxDelayMs: 10_000 };
const young = { attempts: 1, firstAttemptAt: 0, now: 1_000 };
const answer = (status: number, extra: Partial<Extract<AttemptOutcome, { kind: 'answer' }>> = {}): AttemptOutcome => ({ kind: 'answer', status, ...extra });

describe('decideDelivery', () => {
  it.each([
    [answer(200), 'delivered'],
    [answer(204), 'delivered'],
    [answer(500), 'retry'],
    [answer(503), 'retry'],
    [answer(429), 'retry'],
    [answer(408), 'retry'],
    [{ kind: 'network', message: 'ECONNREFUSED' } as const, 'retry'],
    [{ kind: 'timeout', afterMs: 5_000 } as const, 'retry'],
    [answer(400), 'dead-letter'],
    [answer(401), 'dead-letter'],
    [answer(404), 'dead-letter'],
    [answer(410), 'dead-letter'],
    [answer(301), 'dead-letter'],
  ] satisfies Array<[AttemptOutcome, string]>)('%j → %s', (outcome, kind) => {
    expect(decideDelivery(outcome, young, policy).kind).toBe(kind);
  });

  it('gives up only when both the attempts and the age are used up', () => {
    const failing = answer(502);
    expect(decideDelivery(failing, { attempts: 50, firstAttemptAt: 0, now: 59_999 }, policy).kind).toBe('retry');
    expect(decideDelivery(failing, { attempts: 4, firstAttemptAt: 0, now: 3_600_000 }, policy).kind).toBe('retry');
    expect(decideDelivery(failing, { attempts: 5, firstAttemptAt: 0, now: 60_000 }, policy)).toEqual({
      kind: 'dead-letter',
      reason: 'gave up after 5 attempts: answered 502',
    });
  });

  it('names the answer when it dead-letters at once', () => {
    expect(decideDelivery(answer(422, { body: '{"error":"bad email"}' }), young, policy)).toEqual({
      kind: 'dead-letter',
      reason: 'answered 422: {"error":"bad email"}',
    });
  });

  it('backs off exponentially with jitter, capped', () => {
    const delay = (attempts: number, random: number): number => {
      const decision = decideDelivery(answer(500), { attempts, firstAttemptAt: 0, now: 0 }, policy, () => random);
      return decision.kind === 'retry' ? decision.afterMs : -1;
    };
    expect([delay(1, 0), delay(1, 1)]).toEqual([50, 100]);
    expect([delay(4, 0), delay(4, 1)]).toEqual([400, 800]);
    expect([delay(20, 0), delay(20, 1)]).toEqual([5_000, 10_000]);
  });

  it('never retries sooner than Retry-After, and waits at most an hour for it', () => {
    const after = (seconds: number): number => {
      const decision = decideDelivery(answer(429, { retryAfterSeconds: seconds }), young, policy, () => 0);
      return decision.kind === 'retry' ? decision.afterMs : -1;
    };
    expect(after(30)).toBe(30_000);
    expect(after(0)).toBe(50);
    expect(after(86_400)).toBe(3_600_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  it.each([
    ['120', 120],
    [' 7 ', 7],
    ['Sun, 29 Nov 2026 10:01:00 GMT', 60],
    ['Sun, 29 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    [null, undefined],
  ])('%s → %s', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });
});
