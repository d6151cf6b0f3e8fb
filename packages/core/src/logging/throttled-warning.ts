import type { LogFields, Logger } from './logger.js';

/**
 * A warning said at most once per `everyMs`: for a failure that repeats on every batch while a
 * service is away, so the log says it without drowning what else happens.
 */
export function throttledWarning(logger: Logger, everyMs: number, now: () => number = Date.now): (message: string, fields?: LogFields) => void {
  let saidAt = -Infinity;
  return (message, fields) => {
    const at = now();
    if (at - saidAt < everyMs) return;
    saidAt = at;
    logger.warn(message, fields);
  };
}
