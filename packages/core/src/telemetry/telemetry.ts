import { Registry } from 'prom-client';
import { CLIENT_GONE_STATUS } from '../errors.js';
import type { InstanceSnapshot } from '../ports/stats-board.js';
import type { Logger } from '../logging/logger.js';
import type { Cell } from './families.js';
import type { DestinationMeter, EdgeMeter, HttpMeter, PublishMeter, RuleMeter, StageMeter, StageName } from './meters.js';
import { createMetricCatalog, type MetricCatalog } from './metric-catalog.js';
import { HttpCells } from './http-cells.js';
import { LatencyWindow } from './latency-window.js';
import { collectProcessMetrics } from './process-metrics.js';
import { TraceRecorder, type TraceRecorderOptions } from './trace-recorder.js';
import { DestinationCells, pendingGauge, STAGE_OUTCOMES, StageCells } from './stage-cells.js';

export interface TelemetryOptions {
  /** Unique per process: role, host, pid and start time. */
  instance: string;
  /** The roles this instance runs (edge, collector, dispatch, workflow). */
  roles: readonly string[];
  /**
   * false: no process metrics and no timing on the hot paths (HTTP answers, queue publishes,
   * store writes). The stage counters stay: they cost an addition per batch.
   */
  metrics: boolean;
}

/** How long a topic's backlog, once read, answers scrapes. */
const BACKLOG_CACHE_MS = 5_000;
/** Longest a scrape waits for the queue to tell a backlog. */
const BACKLOG_TIMEOUT_MS = 1_000;

export type BacklogReader = () => Promise<Array<{ topic: string; count: number }>>;

/**
 * One instance's metrics: a registry of its own (several instances can share a process: tests),
 * the catalog's families, and meters bound to them for the stages. Made once per instance by
 * the composition root and handed down as the small meter ports.
 */
export class Telemetry {
  readonly registry = new Registry();
  readonly catalog: MetricCatalog;
  readonly instance: string;
  readonly role: string;
  private readonly stages = new Map<StageName, StageCells>();
  private readonly destinations = new Map<string, DestinationCells>();
  private readonly servers = new Map<string, HttpCells>();
  private edgeMeter: (EdgeMeter & { counts: Record<string, Cell> }) | undefined;
  private readonly edgeLatency = new LatencyWindow();
  private readonly storeLatency = new LatencyWindow();
  private backlog: { read: BacklogReader; at: number; refreshing?: Promise<void> } | undefined;

  constructor(private readonly options: TelemetryOptions) {
    this.instance = options.instance;
    this.role = options.roles.join('+');
    this.catalog = createMetricCatalog(this.registry);
    this.catalog.info.cell({ role: this.role }).value = 1;
    if (options.metrics) collectProcessMetrics(this.registry);
    pendingGauge(this.catalog.stagePending, () => [...this.stages].map(([stage, cells]) => [{ stage }, cells]));
    pendingGauge(this.catalog.destinationPending, () => [...this.destinations].map(([destination, cells]) => [{ destination }, cells]));
  }

  get enabled(): boolean {
    return this.options.metrics;
  }

  stage(name: StageName): StageMeter {
    return this.stageCells(name);
  }

  destination(id: string): DestinationMeter {
    let cells = this.destinations.get(id);
    if (!cells) {
      cells = new DestinationCells(this.catalog.destinationEvents, this.catalog.deliveryAttempts, id, this.stageCells('dispatch'));
      this.destinations.set(id, cells);
    }
    return cells;
  }

  /** undefined when metrics are off: the server then measures nothing. */
  http(server: 'public' | 'private'): HttpMeter | undefined {
    if (!this.options.metrics) return undefined;
    let cells = this.servers.get(server);
    if (!cells) {
      cells = new HttpCells(this.catalog, server, server === 'public');
      this.servers.set(server, cells);
      if (server === 'public') this.edgeLatency.watch(() => cells?.durations() ?? []);
    }
    return cells;
  }

  edge(): EdgeMeter {
    if (this.edgeMeter) return this.edgeMeter;
    const { edgeRequests, edgeEvents } = this.catalog;
    const counts = {
      accepted: edgeRequests.cell({ outcome: 'accepted' }),
      refused: edgeRequests.cell({ outcome: 'refused' }),
      unavailable: edgeRequests.cell({ outcome: 'unavailable' }),
      clientGone: edgeRequests.cell({ outcome: 'client_gone' }),
      eventsAccepted: edgeEvents.cell({ outcome: 'accepted' }),
      eventsRefused: edgeEvents.cell({ outcome: 'refused' }),
    };
    this.edgeMeter = {
      counts,
      answered(status) {
        (status < 300 ? counts.accepted : status === 503 ? counts.unavailable : status === CLIENT_GONE_STATUS ? counts.clientGone : counts.refused).value += 1;
      },
      events(accepted, refused) {
        counts.eventsAccepted.value += accepted;
        counts.eventsRefused.value += refused;
      },
    };
    return this.edgeMeter;
  }

  /** undefined when metrics are off. */
  publisher(topic: string): PublishMeter | undefined {
    if (!this.options.metrics) return undefined;
    const { queuePublishDuration, queueBatchRequests, queueBatchBytes, queuePublishFailures } = this.catalog;
    const duration = queuePublishDuration.cell({ topic });
    const requests = queueBatchRequests.cell({ topic });
    const bytes = queueBatchBytes.cell({ topic });
    const failures = queuePublishFailures.cell({ topic });
    return {
      published(count, size, seconds) {
        duration.observe(seconds);
        requests.observe(count);
        bytes.observe(size);
      },
      failed() {
        failures.value += 1;
      },
    };
  }

  /** How long each collector store write took (seconds); undefined when metrics are off. */
  storeWrites(): ((seconds: number) => void) | undefined {
    if (!this.options.metrics) return undefined;
    const cell = this.catalog.storeWriteDuration.cell();
    this.storeLatency.watch(() => [cell]);
    return (seconds) => cell.observe(seconds);
  }

  rules(): RuleMeter {
    const matched = this.catalog.ruleRuns.cell({ outcome: 'matched' });
    const notMatched = this.catalog.ruleRuns.cell({ outcome: 'not_matched' });
    return {
      ran(yes, no) {
        matched.value += yes;
        notMatched.value += no;
      },
    };
  }

  /** A recorder of trace entries into `store`, its drops and failures counted here. */
  traceRecorder(store: TraceRecorderOptions['store'], logger: Logger): TraceRecorder {
    const { traceEntries } = this.catalog;
    const counts = { appended: traceEntries.cell({ outcome: 'appended' }), dropped: traceEntries.cell({ outcome: 'dropped' }), failed: traceEntries.cell({ outcome: 'failed' }) };
    return new TraceRecorder({ store, counts, logger });
  }

  /** The backlog of the topics this role consumes, read when scraped (at most every few seconds). */
  watchBacklog(read: BacklogReader): void {
    this.backlog = { read, at: 0 };
  }

  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  /** The text exposition format 0.0.4. */
  async metrics(): Promise<string> {
    await this.refreshBacklog();
    return this.registry.metrics();
  }

  /** Cumulative counters and current gauges for the stats board; latencies over the time since the last snapshot. */
  snapshot(now = Date.now()): InstanceSnapshot {
    const counters: Record<string, number> = {};
    const gauges: Record<string, number> = {};
    for (const [stage, cells] of this.stages) {
      counters[`${stage}.events.received`] = cells.value('received');
      for (const outcome of STAGE_OUTCOMES[stage]) counters[`${stage}.events.${outcome}`] = cells.value(outcome);
      gauges[`${stage}.events.pending`] = cells.pending;
    }
    for (const [id, cells] of this.destinations) {
      counters[`destination.${id}.received`] = cells.value('received');
      for (const outcome of STAGE_OUTCOMES.dispatch) counters[`destination.${id}.${outcome}`] = cells.value(outcome);
      gauges[`destination.${id}.pending`] = cells.pending;
    }
    if (this.stages.has('workflow')) counters['workflow.rules.ran'] = this.catalog.ruleRuns.cell({ outcome: 'matched' }).value;
    if (this.edgeMeter) {
      const { counts } = this.edgeMeter;
      counters['edge.requests.accepted'] = (counts['accepted'] as Cell).value;
      counters['edge.requests.refused'] = (counts['refused'] as Cell).value;
      counters['edge.requests.unavailable'] = (counts['unavailable'] as Cell).value;
      counters['edge.events.accepted'] = (counts['eventsAccepted'] as Cell).value;
      counters['edge.events.refused'] = (counts['eventsRefused'] as Cell).value;
    }
    if (this.edgeLatency.watching) {
      const [p50, p99] = this.edgeLatency.quantiles([0.5, 0.99]);
      gauges['edge.latency.p50_ms'] = toMs(p50);
      gauges['edge.latency.p99_ms'] = toMs(p99);
    }
    if (this.storeLatency.watching) gauges['collector.latency.p99_ms'] = toMs(this.storeLatency.quantiles([0.99])[0]);
    return { instance: this.instance, role: this.role, at: now, counters, gauges };
  }

  private stageCells(name: StageName): StageCells {
    let cells = this.stages.get(name);
    if (!cells) {
      cells = new StageCells(this.catalog.stageEvents, { stage: name }, STAGE_OUTCOMES[name]);
      this.stages.set(name, cells);
    }
    return cells;
  }

  private async refreshBacklog(): Promise<void> {
    const backlog = this.backlog;
    if (!backlog || Date.now() - backlog.at < BACKLOG_CACHE_MS) return;
    backlog.refreshing ??= backlog
      .read()
      .then((topics) => {
        for (const { topic, count } of topics) this.catalog.queueBacklog.cell({ topic }).value = count;
        backlog.at = Date.now();
      })
      .catch(() => {
        // The queue did not answer: the last values stay, and the next scrape asks again.
      })
      .finally(() => (backlog.refreshing = undefined));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([backlog.refreshing, new Promise<void>((resolve) => (timer = setTimeout(resolve, BACKLOG_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
}

function toMs(seconds: number | undefined): number {
  return Math.round((seconds ?? 0) * 100_000) / 100;
}

