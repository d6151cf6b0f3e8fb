import type { Registry } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily } from './families.js';

/** Seconds: 0.5 ms to 30 s (HTTP answers, queue publishes, store writes). */
const LATENCY_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Bytes: 256 B to 4 MB. */
const SIZE_BYTES = [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304];
/** Requests in one queue message. */
const BATCH_REQUESTS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/**
 * Every Inflow metric, in one place. Names follow Prometheus' conventions (`_total` counters,
 * `_seconds` and `_bytes` units); labels are bounded: a route template (never a path), a status
 * code, a topic, a stage, an outcome, a destination id (operator-defined). Never a profile,
 * event or request id.
 */
export function createMetricCatalog(registry: Registry) {
  const counter = (name: string, help: string, labels: readonly string[] = []): CounterFamily => new CounterFamily(name, help, labels).register(registry);
  const gauge = (name: string, help: string, labels: readonly string[] = []): GaugeFamily => new GaugeFamily(name, help, labels).register(registry);
  const histogram = (name: string, help: string, labels: readonly string[], bounds: readonly number[]): HistogramFamily =>
    new HistogramFamily(name, help, labels, bounds).register(registry);
  return {
    info: gauge('inflow_instance_info', 'Always 1: the roles this process runs.', ['role']),

    httpRequests: counter('inflow_http_requests_total', 'HTTP answers by server (public, private), route template and status.', ['server', 'route', 'status']),
    httpDuration: histogram('inflow_http_request_duration_seconds', 'From a request\'s arrival to its answer.', ['server', 'route'], LATENCY_SECONDS),
    httpBodyBytes: histogram('inflow_http_request_body_bytes', 'Request bodies read, by route template (public server).', ['route'], SIZE_BYTES),
    edgeRequests: counter('inflow_edge_requests_total', 'Ingestion requests (/track, Segment /v1): accepted (200, 201), refused (4xx), unavailable (503), or client_gone (the client went away before the queue took it: not stored, never answered).', ['outcome']),
    edgeEvents: counter('inflow_edge_events_total', 'Events of ingestion requests: accepted, or refused alone inside an accepted request.', ['outcome']),

    queuePublishDuration: histogram('inflow_queue_publish_duration_seconds', 'From handing a message batch to the queue to its confirmation.', ['topic'], LATENCY_SECONDS),
    queueBatchRequests: histogram('inflow_queue_publish_batch_requests', 'Requests per queue message published by the edge (RequestBatcher).', ['topic'], BATCH_REQUESTS),
    queueBatchBytes: histogram('inflow_queue_publish_batch_bytes', 'Bytes per queue message published by the edge (RequestBatcher).', ['topic'], SIZE_BYTES),
    queuePublishFailures: counter('inflow_queue_publish_failures_total', 'Message batches the queue did not confirm.', ['topic']),
    queueBacklog: gauge('inflow_queue_backlog_messages', 'Messages waiting in a topic this role consumes (read at most every few seconds).', ['topic']),

    stageEvents: counter(
      'inflow_stage_events_total',
      'Events through a stage: received = stored + deduplicated (collector) | delivered (dispatch) | done (workflow) + dead_lettered + retried + pending.',
      ['stage', 'outcome'],
    ),
    stagePending: gauge('inflow_stage_events_pending', 'Events a stage received and has not settled yet.', ['stage']),
    destinationEvents: counter('inflow_destination_events_total', 'Events through one destination\'s lane: received = delivered + dead_lettered + retried + pending.', ['destination', 'outcome']),
    destinationPending: gauge('inflow_destination_events_pending', 'Events a destination\'s lane received and has not settled yet.', ['destination']),
    deliveryAttempts: counter('inflow_destination_delivery_attempts_total', 'Webhook calls by destination and result (success, failure).', ['destination', 'result']),
    ruleRuns: counter('inflow_rule_runs_total', 'Rules considered on an event: matched (its actions ran) or not_matched.', ['outcome']),
    storeWriteDuration: histogram('inflow_store_write_duration_seconds', 'One collector store write (events, profiles and sessions of a group).', [], LATENCY_SECONDS),

    traceEntries: counter('inflow_trace_entries_total', 'Trace entries: appended, dropped (buffer full) or failed (the trace store refused them).', ['outcome']),
  };
}

export type MetricCatalog = ReturnType<typeof createMetricCatalog>;
