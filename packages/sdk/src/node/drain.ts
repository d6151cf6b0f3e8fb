import type { Counts } from '../core/counts.js';
import type { Tracker } from '../core/tracker.js';

/** What a flush achieved: delivered and given up while it ran, and what is still queued at its end. */
export interface DrainResult {
  sent: number;
  pending: number;
  dropped: number;
}

/**
 * Sends until nothing is queued or `timeoutMs` passed: each round sends what it may, then
 * sleeps until the next request is allowed (backoff, Retry-After), never past the deadline.
 * A request still on the wire at the deadline is not waited for (its events count as pending).
 * `counts` is the tally the tracker keeps through its `_counted` setting.
 */
export async function drain(tracker: Tracker, counts: Counts, timeoutMs: number): Promise<DrainResult> {
  const until = Date.now() + timeoutMs;
  const before = { ...counts };
  while (tracker.pending() > 0 && Date.now() < until) {
    await within(tracker.flush(), until - Date.now());
    if (tracker.pending() > 0) await within(sleep(Math.max(tracker.retryInMs(), 20)), until - Date.now());
  }
  return { sent: counts.sent - before.sent, pending: tracker.pending(), dropped: counts.dropped - before.dropped };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `work`, but no longer than `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}
