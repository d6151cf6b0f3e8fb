import { type HistogramCell, quantileOf } from './families.js';

/**
 * Quantiles of histogram cells over the time since the previous call: the difference of their
 * bucket counts, summed over the cells watched.
 */
export class LatencyWindow {
  private sources: Array<() => Iterable<HistogramCell>> = [];
  private readonly previous = new Map<HistogramCell, Float64Array>();
  private bounds: readonly number[] = [];

  get watching(): boolean {
    return this.sources.length > 0;
  }

  watch(cells: () => Iterable<HistogramCell>): void {
    this.sources.push(cells);
  }

  quantiles(qs: readonly number[]): number[] {
    let sum: Float64Array | undefined;
    for (const source of this.sources) {
      for (const cell of source()) {
        const before = this.previous.get(cell);
        sum ??= new Float64Array(cell.counts.length);
        for (let i = 0; i < cell.counts.length; i++) (sum[i] as number) += (cell.counts[i] as number) - (before?.[i] ?? 0);
        this.previous.set(cell, Float64Array.from(cell.counts));
        this.bounds = cell.bounds;
      }
    }
    return qs.map((q) => (sum ? quantileOf(this.bounds, sum, q) : 0));
  }
}
