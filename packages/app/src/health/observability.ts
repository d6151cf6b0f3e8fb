import { type BacklogReader, type Engine, type Logger, type Queue, Telemetry, type TopicNames, type TopicRef, type TraceRecorder } from '@inflow/core';
import type { DestinationDirectory } from '@inflow/workers';
import type { Config } from '../config/config.js';
import { type HealthServer, listenHealth } from './health-server.js';
import { instanceId, startStatsPublisher } from './stats-publisher.js';

export interface Observability {
  readonly telemetry: Telemetry;
  /** undefined when tracing is off (config.trace). */
  readonly trace: TraceRecorder | undefined;
  readonly healthPort: number;
  /** Serves the health port at once (ready or not). */
  listen(): Promise<void>;
  /** Once the engine is up: trace recording and stats publishing. */
  attach(engine: Engine): void;
  /** Flushes the trace and publishes the last snapshot (before the engine closes). */
  detach(): Promise<void>;
  /** Stops the health port (last: it answers while draining). */
  close(): Promise<void>;
}

/** One instance's metrics, trace recorder, stats publisher and health port, in their start and close order. */
export function createObservability(config: Config, roles: readonly string[], isReady: () => boolean, logger: Logger): Observability {
  const telemetry = new Telemetry({ instance: instanceId(roles), roles, metrics: config.metrics });
  const log = logger.child('health');
  let trace: TraceRecorder | undefined;
  let stats: { close(): Promise<void> } | undefined;
  let server: HealthServer | undefined;
  return {
    telemetry,
    get trace() {
      return trace;
    },
    get healthPort() {
      return server?.port ?? 0;
    },
    async listen() {
      server = await listenHealth({
        host: config.healthHost,
        port: config.healthPort,
        isReady,
        metrics: () => telemetry.metrics(),
        metricsContentType: telemetry.contentType,
      });
      log.info(`health and metrics on http://${config.healthHost}:${server.port}`, { roles: roles.join(',') });
    },
    attach(engine) {
      if (config.trace) trace = telemetry.traceRecorder(engine.trace, log);
      stats = startStatsPublisher({ board: engine.stats, snapshot: () => telemetry.snapshot(), intervalMs: config.statsIntervalMs, logger: log });
    },
    async detach() {
      await trace?.close();
      await stats?.close();
    },
    async close() {
      await server?.close();
    },
  };
}

export function topicLabel(topic: TopicRef): string {
  return `${topic.namespace}/${topic.name}`;
}

/** The backlog of the topics the roles of this process consume (theirs to show). */
export function consumedBacklog(queue: Queue, roles: readonly string[], topics: TopicNames, destinations: DestinationDirectory): BacklogReader {
  return async () => {
    const consumed = [
      ...(roles.includes('collector') ? [topics.collector] : []),
      ...(roles.includes('workflow') ? [topics.workflow] : []),
      ...(roles.includes('dispatch') ? (await destinations.all()).map((destination) => topics.destination(destination.record.id)) : []),
    ];
    return Promise.all(consumed.map(async (topic) => ({ topic: topicLabel(topic), count: (await queue.backlog(topic))?.total ?? 0 })));
  };
}
