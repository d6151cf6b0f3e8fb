/**
 * What to do after one delivery attempt to a destination: a pure function, tested against a
 * table. At least once: a transient failure is retried with capped, jittered exponential
 * backoff (never sooner than Retry-After) until both the minimum number of attempts is made
 * and the maximum age is reached; then, or at once for an answer retrying cannot change,
 * the event is dead-lettered with the last answer as the reason.
 */
export type AttemptOutcome =
  | { kind: 'answer'; status: number; retryAfterSeconds?: number; body?: string }
  | { kind: 'network'; message: string }
  | { kind: 'timeout'; afterMs: number };

export type DeliveryDecision = { kind: 'delivered' } | { kind: 'retry'; afterMs: number; reason: string } | { kind: 'dead-letter'; reason: string };

export interface DeliveryPolicy {
  /** Attempts made before an event may be given up, however young. */
  minAttempts: number;
  /** Age (from the first attempt) before an event may be given up, however many attempts. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { minAttempts: 10, maxAgeMs: 24 * 3_600_000, baseDelayMs: 500, maxDelayMs: 60_000 };

/** The longest Retry-After honoured (a receiver asking for a day is waited for an hour, then asked again). */
const MAX_RETRY_AFTER_MS = 3_600_000;

export interface AttemptState {
  /** Attempts made, this one included. */
  attempts: number;
  firstAttemptAt: number;
  now: number;
}

export function decideDelivery(outcome: AttemptOutcome, state: AttemptState, policy: DeliveryPolicy, random: () => number = Math.random): DeliveryDecision {
  if (outcome.kind === 'answer' && outcome.status >= 200 && outcome.status < 300) return { kind: 'delivered' };
  const reason = describe(outcome);
  if (!isTransient(outcome)) return { kind: 'dead-letter', reason };
  const exhausted = state.attempts >= policy.minAttempts && state.now - state.firstAttemptAt >= policy.maxAgeMs;
  if (exhausted) return { kind: 'dead-letter', reason: `gave up after ${state.attempts} attempts: ${reason}` };
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(30, state.attempts - 1));
  const jittered = Math.round(backoff / 2 + (random() * backoff) / 2);
  const asked = outcome.kind === 'answer' && outcome.retryAfterSeconds !== undefined ? Math.min(MAX_RETRY_AFTER_MS, outcome.retryAfterSeconds * 1000) : 0;
  return { kind: 'retry', afterMs: Math.max(jittered, asked), reason };
}

/** Network errors, timeouts, 408, 429 and 5xx may pass; any other answer would be the same next time. */
export function isTransient(outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'answer') return true;
  return outcome.status === 408 || outcome.status === 429 || outcome.status >= 500;
}

function describe(outcome: AttemptOutcome): string {
  if (outcome.kind === 'network') return `network error: ${outcome.message}`;
  if (outcome.kind === 'timeout') return `no answer within ${outcome.afterMs} ms`;
  const body = outcome.body ? `: ${outcome.body.slice(0, 300)}` : '';
  return `answered ${outcome.status}${body}`;
}

/** Retry-After as seconds: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // An HTTP date names its day (`Sun, 29 Nov 2026 10:01:00 GMT`); Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3},/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
