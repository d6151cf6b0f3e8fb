import type { Metric, Registry } from 'prom-client';

/**
 * Metric families kept as plain numbers in pre-bound cells, read by prom-client's Registry when
 * scraped. prom-client's own `labels(...).inc()` hashes the label object on every call; a hot
 * path here bumps a field of a cell it looked up once. Every family reads its cells
 * synchronously when scraped, so one scrape sees every counter at the same instant (the stage
 * counters balance exactly in each scrape).
 */

type Labels = Readonly<Record<string, string>>;

interface ExposedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: ExposedValue[];
  aggregator: 'sum';
}

/** One labelled series of a counter or gauge. */
export interface Cell {
  value: number;
}

interface LabelledCell extends Cell {
  readonly labels: Labels;
}

abstract class Family<C extends { labels: Labels }> {
  protected readonly cells = new Map<string, C>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
  ) {}

  /** Adds the family to the registry (once per registry). */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  /** The cell of these labels: look it up once and keep it. */
  cell(labels: Labels = {}): C {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name] ?? ''}\u0000`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = this.create({ ...labels });
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Every cell made so far. */
  all(): IterableIterator<C> {
    return this.cells.values();
  }

  protected abstract create(labels: Labels): C;
}

export class CounterFamily extends Family<LabelledCell> {
  protected create(labels: Labels): LabelledCell {
    return { labels, value: 0 };
  }

  get(): Exposed {
    const values: ExposedValue[] = [];
    for (const cell of this.cells.values()) values.push({ labels: cell.labels, value: cell.value });
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' };
  }
}

export class GaugeFamily extends Family<LabelledCell> {
  /** Run when scraped, before the cells are read: sets values that are computed, not counted. */
  collect: (() => void) | undefined;

  protected create(labels: Labels): LabelledCell {
    return { labels, value: 0 };
  }

  get(): Exposed {
    this.collect?.();
    const values: ExposedValue[] = [];
    for (const cell of this.cells.values()) values.push({ labels: cell.labels, value: cell.value });
    return { name: this.name, help: this.help, type: 'gauge', values, aggregator: 'sum' };
  }
}

/** One labelled series of a histogram: counts per bucket (not cumulative), sum and count. */
export class HistogramCell {
  readonly counts: Float64Array;
  readonly bounds: readonly number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    bounds: readonly number[],
  ) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number) += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class HistogramFamily extends Family<HistogramCell> {
  private readonly le: string[];

  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[]) {
    super(name, help, labelNames);
    this.le = [...bounds.map(String), '+Inf'];
  }

  protected create(labels: Labels): HistogramCell {
    return new HistogramCell(labels, this.bounds);
  }

  get(): Exposed {
    const values: ExposedValue[] = [];
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.le.length; i++) {
        cumulative += cell.counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...cell.labels, le: this.le[i] as string }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: cell.labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: cell.labels, value: cell.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}

/**
 * The q-quantile (0..1) of the observations counted in `counts` (per bucket, not cumulative),
 * interpolated linearly inside its bucket; the top bound for the +Inf bucket; 0 when empty.
 */
export function quantileOf(bounds: readonly number[], counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] as number;
    if (seen + inBucket >= rank && inBucket > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + (upper - lower) * ((rank - seen) / inBucket);
    }
    seen += inBucket;
  }
  return bounds[bounds.length - 1] as number;
}
