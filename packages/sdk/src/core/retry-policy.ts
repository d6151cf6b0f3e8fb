/** What to do after a send: done, try again after `ms`, split the batch (too large), or give up. */
export type RetryDecision = { kind: 'done' } | { kind: 'retry'; ms: number } | { kind: 'split' } | { kind: 'drop'; reason: string };

export interface RetryOptions {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 500, maxMs: 30_000, maxAttempts: 10 };

/** Statuses worth another try: the server or something in between was busy or failing. */
const RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];

/**
 * The whole retry rule in one pure function: 2xx is done; 413 splits the batch; 408, 425, 429
 * and 5xx retry with capped exponential backoff and full jitter, never sooner than
 * Retry-After; other 4xx are permanent (the payload itself is wrong) and are dropped.
 */
export function decide(
  outcome: { status?: number; network?: boolean; retryAfterMs?: number },
  attempt: number,
  options: RetryOptions = DEFAULT_RETRY,
  random: () => number = Math.random,
): RetryDecision {
  const { status } = outcome;
  if (status !== undefined && status >= 200 && status < 300) return { kind: 'done' };
  if (status === 413) return { kind: 'split' };
  const retryable = outcome.network === true || (status !== undefined && RETRY_STATUSES.includes(status));
  if (!retryable) return { kind: 'drop', reason: `status ${status}` };
  if (attempt >= options.maxAttempts) return { kind: 'drop', reason: `gave up after ${attempt} attempts` };
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const jittered = Math.round(random() * ceiling);
  return { kind: 'retry', ms: Math.max(jittered, Math.min(outcome.retryAfterMs ?? 0, options.maxMs * 4)) };
}

/** Retry-After as milliseconds: seconds or an HTTP date. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
