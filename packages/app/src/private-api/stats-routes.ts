import type { InstanceSnapshot, StatsBoard } from '@inflow/core';
import { json, type Router } from '@inflow/edge';
import { balanceOf, combineGauges, type Numbers, ratesBetween, sumCounters } from './stats-summary.js';
import { unavailable } from './unavailable.js';

/** How far back GET /stats's series reaches. */
export const STATS_WINDOW_MS = 15 * 60_000;

export interface StatsSample {
  /** Epoch milliseconds of the reading. */
  at: number;
  /** Per second since the reading before, by counter. */
  rates: Numbers;
  gauges: Numbers;
}

export interface StatsHistoryOptions {
  board: StatsBoard;
  intervalMs: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * The API process reads the board every intervalMs and keeps the rates of the last 15 minutes
 * in a ring (the series of GET /stats). The first reading only sets the baseline. A reading
 * that fails (Redis away) is a gap, not an error. The timer does not keep the process alive.
 */
export class StatsHistory {
  readonly #options: Required<StatsHistoryOptions>;
  readonly #ring: StatsSample[] = [];
  readonly #capacity: number;
  /** The last counters of each instance seen, and when (forgotten after the window). */
  #last = new Map<string, { counters: Numbers; seenAt: number }>();
  #lastAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;

  constructor(options: StatsHistoryOptions) {
    this.#options = { windowMs: STATS_WINDOW_MS, now: Date.now, ...options };
    this.#capacity = Math.max(1, Math.ceil(this.#options.windowMs / this.#options.intervalMs));
  }

  start(): void {
    if (this.#timer) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.#options.intervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Oldest first. */
  samples(): StatsSample[] {
    return [...this.#ring];
  }

  /** One reading of the board (the timer's; tests call it to step). Readings never overlap. */
  sample(): Promise<void> {
    this.#sampling ??= this.#read().finally(() => (this.#sampling = undefined));
    return this.#sampling;
  }

  async #read(): Promise<void> {
    let snapshots: InstanceSnapshot[];
    try {
      snapshots = await this.#options.board.read();
    } catch {
      return;
    }
    const now = this.#options.now();
    if (this.#lastAt !== undefined) {
      const previous = new Map([...this.#last].map(([instance, { counters }]) => [instance, counters]));
      this.#ring.push({ at: now, rates: ratesBetween(previous, snapshots, (now - this.#lastAt) / 1000), gauges: combineGauges(snapshots) });
      if (this.#ring.length > this.#capacity) this.#ring.shift();
    }
    this.#lastAt = now;
    for (const snapshot of snapshots) this.#last.set(snapshot.instance, { counters: { ...snapshot.counters }, seenAt: now });
    for (const [instance, { seenAt }] of this.#last) if (now - seenAt > this.#options.windowMs) this.#last.delete(instance);
  }
}

/** GET /stats: the live instances, their counters summed, gauges combined, the balance per stage, and the series of rates. */
export function withStatsRoutes(router: Router, deps: { board: StatsBoard; history: StatsHistory; intervalMs: number; now?: () => number }): Router {
  const now = deps.now ?? Date.now;
  return router.on('GET', '/stats', async () => {
    let snapshots: InstanceSnapshot[];
    try {
      snapshots = await deps.board.read();
    } catch (error) {
      return unavailable('the stats board', error);
    }
    const counters = sumCounters(snapshots);
    const gauges = combineGauges(snapshots);
    return json(200, {
      at: new Date(now()).toISOString(),
      intervalMs: deps.intervalMs,
      instances: snapshots.map(({ instance, role, at }) => ({ instance, role, at: new Date(at).toISOString() })),
      counters,
      gauges,
      balance: balanceOf(counters, gauges),
      series: deps.history.samples().map(({ at, rates, gauges }) => ({ at: new Date(at).toISOString(), rates, gauges })),
    });
  });
}
