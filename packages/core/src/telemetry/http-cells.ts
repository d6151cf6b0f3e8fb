import type { Cell, HistogramCell } from './families.js';
import type { HttpMeter } from './meters.js';
import type { MetricCatalog } from './metric-catalog.js';

interface RouteCells {
  duration: HistogramCell;
  bytes: HistogramCell | undefined;
  statuses: Map<number, Cell>;
}

/** One server's answers: a route's cells are looked up by its template, then by status (two map reads per answer). */
export class HttpCells implements HttpMeter {
  private readonly routes = new Map<string, RouteCells>();

  constructor(
    private readonly catalog: Pick<MetricCatalog, 'httpRequests' | 'httpDuration' | 'httpBodyBytes'>,
    private readonly server: string,
    private readonly bodies: boolean,
  ) {}

  answered(route: string, status: number, seconds: number, bodyBytes: number): void {
    let cells = this.routes.get(route);
    if (!cells) {
      const labels = { server: this.server, route: route || 'unmatched' };
      cells = {
        duration: this.catalog.httpDuration.cell(labels),
        bytes: this.bodies ? this.catalog.httpBodyBytes.cell({ route: labels.route }) : undefined,
        statuses: new Map(),
      };
      this.routes.set(route, cells);
    }
    let count = cells.statuses.get(status);
    if (!count) {
      count = this.catalog.httpRequests.cell({ server: this.server, route: route || 'unmatched', status: String(status) });
      cells.statuses.set(status, count);
    }
    count.value += 1;
    cells.duration.observe(seconds);
    if (bodyBytes > 0) cells.bytes?.observe(bodyBytes);
  }

  durations(): HistogramCell[] {
    return [...this.routes.values()].map((cells) => cells.duration);
  }
}
