import type { InstanceSnapshot } from '@inflow/core';

/**
 * The whole deployment's numbers from every live instance's snapshot (pure functions, no I/O):
 * counters summed, gauges combined, and for each stage whether its counters balance:
 * received = (stored + deduplicated | delivered | done) + dead-lettered + retried + pending.
 */

export type Numbers = Record<string, number>;

export interface StageBalance {
  received: number;
  deadLettered: number;
  retried: number;
  pending: number;
  balanced: boolean;
}
export type CollectorBalance = StageBalance & { stored: number; deduplicated: number };
export type DeliveryBalance = StageBalance & { delivered: number };
export type WorkflowBalance = StageBalance & { done: number };

export interface Balance {
  collector: CollectorBalance;
  dispatch: DeliveryBalance;
  destinations: Record<string, DeliveryBalance>;
  workflow: WorkflowBalance;
}

export function sumCounters(snapshots: readonly InstanceSnapshot[]): Numbers {
  const sums: Numbers = {};
  for (const snapshot of snapshots) for (const [name, value] of Object.entries(snapshot.counters)) sums[name] = (sums[name] ?? 0) + value;
  return sorted(sums);
}

/** What waits (`*.pending`) adds up across instances; anything else (latencies) takes the highest. */
export function combineGauges(snapshots: readonly InstanceSnapshot[]): Numbers {
  const combined: Numbers = {};
  for (const snapshot of snapshots) {
    for (const [name, value] of Object.entries(snapshot.gauges)) {
      const held = combined[name];
      combined[name] = held === undefined ? value : name.endsWith('.pending') ? held + value : Math.max(held, value);
    }
  }
  return sorted(combined);
}

export function balanceOf(counters: Numbers, gauges: Numbers): Balance {
  const destinations: Record<string, DeliveryBalance> = {};
  for (const id of destinationIds(counters, gauges)) destinations[id] = stage(counters, gauges, `destination.${id}`, `destination.${id}.pending`, ['delivered']);
  return {
    collector: stage(counters, gauges, 'collector.events', 'collector.events.pending', ['stored', 'deduplicated']),
    dispatch: stage(counters, gauges, 'dispatch.events', 'dispatch.events.pending', ['delivered']),
    destinations,
    workflow: stage(counters, gauges, 'workflow.events', 'workflow.events.pending', ['done']),
  };
}

/** One stage's counters (`{prefix}.received`, `.dead_lettered`, `.retried` and the outcomes `done`) and its pending gauge. */
function stage<K extends string>(counters: Numbers, gauges: Numbers, prefix: string, pendingGauge: string, done: readonly K[]): StageBalance & Record<K, number> {
  const at = (name: string): number => counters[`${prefix}.${name}`] ?? 0;
  const base = { received: at('received'), deadLettered: at('dead_lettered'), retried: at('retried'), pending: gauges[pendingGauge] ?? 0 };
  const outcomes = Object.fromEntries(done.map((name) => [name, at(name)])) as Record<K, number>;
  const accounted = done.reduce((sum, name) => sum + at(name), 0) + base.deadLettered + base.retried + base.pending;
  return { ...base, ...outcomes, balanced: base.received === accounted };
}

/**
 * Per-second rates of every counter between two readings of the board, instance by instance
 * (a counter is cumulative per instance, so instances coming and going do not make jumps): an
 * instance seen before adds what it counted since; one seen for the first time, all it
 * counted (it started since); a counter that went back (it cannot, but) counts from zero.
 */
export function ratesBetween(previous: ReadonlyMap<string, Numbers>, current: readonly InstanceSnapshot[], seconds: number): Numbers {
  const deltas: Numbers = {};
  for (const snapshot of current) {
    const before = previous.get(snapshot.instance) ?? {};
    for (const [name, value] of Object.entries(snapshot.counters)) {
      const held = before[name] ?? 0;
      deltas[name] = (deltas[name] ?? 0) + (value >= held ? value - held : value);
    }
  }
  const rates: Numbers = {};
  for (const [name, delta] of Object.entries(deltas)) rates[name] = seconds > 0 ? Math.round((delta / seconds) * 1000) / 1000 : 0;
  return sorted(rates);
}

/** The ids of `destination.<id>.<name>` counters and gauges (an id may hold dots). */
function destinationIds(...sets: Numbers[]): string[] {
  const ids = new Set<string>();
  for (const set of sets) {
    for (const name of Object.keys(set)) {
      const last = name.lastIndexOf('.');
      if (name.startsWith('destination.') && last > 'destination.'.length) ids.add(name.slice('destination.'.length, last));
    }
  }
  return [...ids].sort();
}

function sorted(numbers: Numbers): Numbers {
  return Object.fromEntries(Object.entries(numbers).sort(([a], [b]) => a.localeCompare(b)));
}
