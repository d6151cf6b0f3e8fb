import { hostname } from 'node:os';
import { errorMessage, type InstanceSnapshot, type Logger, type StatsBoard, throttledWarning } from '@inflow/core';

/** Unique per process: its roles, host, pid and start time. */
export function instanceId(roles: readonly string[], startedAt = Date.now()): string {
  return `${roles.join('+')}@${hostname()}:${process.pid}:${startedAt}`;
}

export interface StatsPublisherOptions {
  board: Pick<StatsBoard, 'publish'>;
  snapshot(): InstanceSnapshot;
  intervalMs: number;
  logger: Logger;
}

/** How often a board that keeps refusing is reported in the log. */
const WARN_EVERY_MS = 60_000;

/**
 * Publishes the instance's snapshot every interval, and once more when closed. A board that
 * cannot be reached is logged (at most once a minute), never fatal: the next interval tries again.
 */
export function startStatsPublisher(options: StatsPublisherOptions): { close(): Promise<void> } {
  const warn = throttledWarning(options.logger, WARN_EVERY_MS);
  let publishing: Promise<void> | undefined;
  const publish = (): Promise<void> => {
    publishing ??= options.board
      .publish(options.snapshot())
      .catch((error: unknown) => warn(`stats not published: ${errorMessage(error)}`))
      .finally(() => (publishing = undefined));
    return publishing;
  };
  const timer = setInterval(() => void publish(), options.intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await publishing;
      await publish();
    },
  };
}
