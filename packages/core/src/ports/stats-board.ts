/**
 * Each running role's counters, where the private API can read them all: the ops console's
 * charts and the counters that balance (received = stored + dead-lettered + pending) for the
 * whole deployment, not only for the process that serves the API. Every instance publishes its
 * cumulative counters every few seconds; an instance that stops publishing drops out after a
 * time to live.
 */
export interface InstanceSnapshot {
  /** Unique per process (role, host, pid and start time). */
  instance: string;
  role: string;
  /** Epoch milliseconds when taken. */
  at: number;
  /** Cumulative since the instance started, by name, e.g. `collector.events.stored`, `destination.web-hook.delivered`. */
  counters: Readonly<Record<string, number>>;
  /** Values now, e.g. `collector.events.pending`, `edge.latency.p99_ms`. */
  gauges: Readonly<Record<string, number>>;
}

export interface StatsBoard {
  publish(snapshot: InstanceSnapshot): Promise<void>;
  /** The latest snapshot of every instance seen within the time to live. */
  read(): Promise<InstanceSnapshot[]>;
  close(): Promise<void>;
}
