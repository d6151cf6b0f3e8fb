import type { SendResult } from './types.js';

/**
 * What to do after a send: done; try again after `ms`; or the request itself was refused
 * (413 too large, 400/422 invalid), so split it to isolate the culprit, and drop an event
 * refused on its own.
 */
export type RetryDecision = { kind: 'done' } | { kind: 'retry'; ms: number } | { kind: 'split'; reason: 'too-large' | 'rejected' };

export interface RetryOptions {
  baseMs: number;
  maxMs: number;
}

/** The first retry's ceiling and the largest one (the tracker's backoff: 0.5 s to 60 s). */
const BASE_MS = 500;
const MAX_MS = 60_000;

export const DEFAULT_RETRY: RetryOptions = { baseMs: BASE_MS, maxMs: MAX_MS };

/** The longest Retry-After honoured as given (a bigger one is capped: the queue's age bound is what gives up). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * The whole retry rule in one pure function. 2xx (a transport's `ok`) is done; 413 splits (too large); 400 and
 * 422 split (the edge refused the request's content: halves isolate the bad event). Anything
 * else is transient or a setup problem (network, timeouts, 408, 429, 5xx, 401, 403, 404) and is
 * retried, with no limit on attempts, after a capped exponential backoff with full jitter,
 * never sooner than Retry-After. Events leave the queue only by its bounds (count, bytes, age).
 */
export function decide(result: SendResult, attempt: number, options = DEFAULT_RETRY, random?: () => number): RetryDecision {
  if (result.kind === 'ok') return { kind: 'done' };
  const reason = refusal(result);
  return reason ? { kind: 'split', reason } : { kind: 'retry', ms: backoffMs(result, attempt, random, options.baseMs, options.maxMs) };
}

/** Why the edge refused a request as a whole, to be split: 413 too large, 400 or 422 its content; undefined for anything else. */
export function refusal(result: SendResult): 'too-large' | 'rejected' | undefined {
  // Only an http result is other than 2xx; an ok one's status is 2xx.
  const status = (result as { status?: number }).status;
  return status === 413 ? 'too-large' : status === 400 || status === 422 ? 'rejected' : undefined;
}

/** The wait before retry number `attempt` (from 0): capped exponential backoff with full jitter, never sooner than Retry-After. */
export function backoffMs(result: SendResult, attempt: number, random = Math.random, baseMs = BASE_MS, maxMs = MAX_MS): number {
  // A large attempt makes 2 ** attempt Infinity, capped at maxMs (0 * Infinity is NaN: no wait).
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt) || 0;
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  // Only an http result carries a Retry-After.
  return Math.max(jittered, Math.min((result as { retryAfterMs?: number }).retryAfterMs || 0, MAX_RETRY_AFTER_MS));
}

/** Retry-After as milliseconds: seconds or an HTTP date (one in the past is 0). */
export function retryAfterMs(header: string | null | undefined, now?: number): number | undefined {
  // isFinite coerces: a numeric string is seconds (what Number.isFinite(Number(header)) says).
  const ms = !header ? NaN : isFinite(header as unknown as number) ? +header * 1000 : Date.parse(header) - (now ?? Date.now());
  return ms > 0 ? ms : ms <= 0 ? 0 : undefined; // NaN (no header, or not a date): undefined
}
