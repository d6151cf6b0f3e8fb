import type { InstanceSnapshot, StatsBoard } from '@inflow/core';

/** One process's board (the embedded engine): the latest snapshot per instance, gone after ttlMs without a new one; read by instance name. */
export class MemoryStatsBoard implements StatsBoard {
  readonly #latest = new Map<string, InstanceSnapshot>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  publish(snapshot: InstanceSnapshot): Promise<void> {
    this.#latest.set(snapshot.instance, snapshot);
    return Promise.resolve();
  }

  read(): Promise<InstanceSnapshot[]> {
    const oldest = this.now() - this.ttlMs;
    for (const [instance, snapshot] of this.#latest) if (snapshot.at < oldest) this.#latest.delete(instance);
    return Promise.resolve([...this.#latest.values()].sort((a, b) => a.instance.localeCompare(b.instance)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
