import type { Cell, CounterFamily, GaugeFamily } from './families.js';
import type { DestinationMeter, StageMeter, StageName, StageOutcome } from './meters.js';

/** The outcomes each stage settles events with, bound at once so that every series exists from the start. */
export const STAGE_OUTCOMES: Record<StageName, readonly StageOutcome[]> = {
  collector: ['stored', 'deduplicated', 'dead_lettered', 'retried'],
  dispatch: ['delivered', 'dead_lettered', 'retried'],
  workflow: ['done', 'dead_lettered', 'retried'],
};

/**
 * A stage's (or a destination's) counters. `pending` is not counted: it is received minus
 * everything settled, read in the same instant, so received = settled + pending holds exactly
 * in every scrape and every snapshot, and a pending below zero would show a double count.
 */
export class StageCells implements StageMeter {
  readonly receivedCell: Cell;
  readonly outcomes = new Map<StageOutcome, Cell>();

  constructor(
    counters: CounterFamily,
    labels: Record<string, string>,
    outcomes: readonly StageOutcome[],
    private readonly parent?: StageCells,
  ) {
    this.receivedCell = counters.cell({ ...labels, outcome: 'received' });
    for (const outcome of outcomes) this.outcomes.set(outcome, counters.cell({ ...labels, outcome }));
  }

  received(events: number): void {
    this.receivedCell.value += events;
    this.parent?.received(events);
  }

  settled(outcome: StageOutcome, events: number): void {
    const cell = this.outcomes.get(outcome);
    if (!cell) throw new Error(`a stage has no outcome ${outcome}`);
    cell.value += events;
    this.parent?.settled(outcome, events);
  }

  get pending(): number {
    let settled = 0;
    for (const cell of this.outcomes.values()) settled += cell.value;
    return this.receivedCell.value - settled;
  }

  value(outcome: StageOutcome | 'received'): number {
    return outcome === 'received' ? this.receivedCell.value : (this.outcomes.get(outcome)?.value ?? 0);
  }
}

export class DestinationCells extends StageCells implements DestinationMeter {
  private readonly success: Cell;
  private readonly failure: Cell;

  constructor(counters: CounterFamily, attempts: CounterFamily, readonly id: string, dispatch: StageCells) {
    super(counters, { destination: id }, STAGE_OUTCOMES.dispatch, dispatch);
    this.success = attempts.cell({ destination: id, result: 'success' });
    this.failure = attempts.cell({ destination: id, result: 'failure' });
  }

  attempt(success: boolean): void {
    (success ? this.success : this.failure).value += 1;
  }
}

/** Keeps a pending gauge equal to received − settled of each set of cells, computed when scraped. */
export function pendingGauge(gauge: GaugeFamily, cells: () => Iterable<[Record<string, string>, StageCells]>): void {
  gauge.collect = () => {
    for (const [labels, stage] of cells()) gauge.cell(labels).value = stage.pending;
  };
}
