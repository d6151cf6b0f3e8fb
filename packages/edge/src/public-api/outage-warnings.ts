import { type Logger, throttledWarning } from '@inflow/core';

/** How often an outage's refusals are said with their reason (each is counted in the edge's intake digest). */
const OUTAGE_WARN_EVERY_MS = 10_000;

/**
 * An ingestion handler's warnings for what it refuses with 503, one throttle per cause: once per
 * period, not per request (an outage refuses every request), and one cause never hides the other.
 */
export function outageWarnings(logger: Logger): { sources: (message: string) => void; queue: (message: string) => void } {
  return { sources: throttledWarning(logger, OUTAGE_WARN_EVERY_MS), queue: throttledWarning(logger, OUTAGE_WARN_EVERY_MS) };
}
