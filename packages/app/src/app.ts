import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Engine, errorMessage, isInfrastructureError, type Lifecycle, type Logger, RequestBatcher, sleep, sleepUnless, type Telemetry, topicNames, type TopicNames, type TraceSink } from '@inflow/core';
import { earlyReplyCors, type HttpHandler, type HttpServer, IntakeDigest, listenNodeHttp, listenUws, loadUws, publicRoutes, type ServerOptions, SourceRegistry } from '@inflow/edge';
import { Collector, createCollectorWorker, createDispatcher, createDistributedEngine, createEmbeddedEngine, createWorkflowWorker, DestinationDirectory, DispatchFeed, RECENT_EVENTS_KEPT, RuleDirectory, RulesInBatch, type SubjectFeed, WorkflowFeed } from '@inflow/workers';
import { resolveApiToken } from './api-token.js';
import { tuneForHttpRoles } from './http-role-tuning.js';
import type { Config } from './config/config.js';
import { withDemoRoutes } from './demo/demo-profile.js';
import { consumedBacklog, createObservability, topicLabel } from './health/observability.js';
import { type PrivateApi, privateRoutes } from './private-api/private-routes.js';
import { connectWhenAvailable, ServicesUnavailableError } from './wait-for-services.js';

/** `edge`: the public edge and the private API; `api`: the private API alone (a deployment of its own). */
export type Role = 'edge' | 'api' | 'collector' | 'workflow' | 'dispatch';
export const ALL_ROLES: readonly Role[] = ['edge', 'collector', 'workflow', 'dispatch'];

export interface Inflow {
  start(): Promise<void>;
  /** Graceful: readiness 503, stop listening, finish in-flight requests, drain workers, flush the queue. */
  close(): Promise<void>;
  readonly publicPort: number;
  readonly privatePort: number;
  /** Where /metrics, /healthz and /readyz answer (every role). */
  readonly healthPort: number;
  readonly apiToken: string;
  /** This instance's metrics (its snapshot is what the stats board gets). */
  readonly telemetry: Telemetry;
}

/** The longest body deadline whose 408 comes before uWebSockets.js closes a silent connection (10 s, checked every 4 s). */
export const MAX_REQUEST_TIMEOUT_MS = 7_500;

const repoFile = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** Starts one HTTP server with the given handler and limits (uWebSockets.js or node:http). */
type Listen = (options: ServerOptions, logger: Logger) => Promise<HttpServer>;

/** The demo shop (its pages, styles and scripts), the tracker it loads and the SPA example, when this is a checkout that has them built. */
function demoFiles(): Record<string, string> | undefined {
  const shop = repoFile('examples/shop');
  const page = join(shop, 'index.html');
  const assets = existsSync(join(shop, 'assets')) ? readdirSync(join(shop, 'assets')).filter((name) => /\.(css|js)$/.test(name)) : [];
  const files: Record<string, string> = {
    // The shop routes in the page (history API): every one of its paths serves the same page.
    ...Object.fromEntries(['/', '/index.html', '/products/*', '/cart', '/checkout', '/orders/*'].map((path) => [path, page])),
    ...Object.fromEntries(assets.map((name) => [`/shop/${name}`, join(shop, 'assets', name)])),
    '/inflow.min.js': repoFile('packages/sdk/dist/inflow.min.js'),
    '/inflow.page-views.min.js': repoFile('packages/sdk/dist/inflow.page-views.min.js'),
    '/spa/dist/app.js': repoFile('examples/spa/dist/app.js'),
    '/spa/*': repoFile('examples/spa/index.html'),
  };
  return assets.length > 0 && Object.values(files).every((file) => existsSync(file)) ? files : undefined;
}

/** The roles a process runs; none for `inflow setup`, which makes what every role needs. */
function createEngine(config: Config, topics: TopicNames, logger: Logger, roles: readonly Role[] = []): Promise<Engine> {
  // An instance's counters count for three publishing intervals after its last snapshot.
  const statsTtlMs = config.statsIntervalMs * 3;
  if (config.engine === 'embedded') return Promise.resolve(createEmbeddedEngine({ ...config, statsTtlMs }, topics));
  const forSetup = roles.length === 0;
  return createDistributedEngine(
    {
      ...config,
      statsTtlMs,
      sendTimeoutMs: config.queueTimeoutMs,
      // Setup creates topics through Pulsar's admin API: it does not wait for the binary protocol the roles use.
      checkPulsarBroker: !forSetup,
      // The edge alone queues what it takes: Elasticsearch is opened when something first asks for it.
      storageOnFirstUse: !forSetup && roles.every((role) => role === 'edge'),
    },
    topics,
    logger,
  );
}

const topicsOf = (config: Config): TopicNames =>
  topicNames(config.tenant, { collector: config.collectorNamespace, dispatch: config.dispatchNamespace, workflow: config.workflowNamespace });

/**
 * Creates what the engine needs and exits (`inflow setup`, a deployment's one-shot job):
 * Pulsar tenant, namespaces, topics and subscriptions, Elasticsearch indices and their
 * mappings; for the embedded engine the data folder's files. Safe to run again: only what is
 * missing is created, and new fields are added to existing mappings.
 */
export async function setUpServices(config: Config, logger: Logger): Promise<void> {
  const started = performance.now();
  logger.info(`setup: preparing the ${config.engine} engine`);
  const engine = await connectWhenAvailable(`${config.engine} engine`, () => createEngine(config, topicsOf(config), logger), { timeoutMs: config.startTimeoutMs, logger });
  await engine.close();
  logger.info(`setup: topics, indices and subscriptions ready, ${Math.round(performance.now() - started)} ms`);
}

/** What the stages after the collector share: the definitions as workers see them, and the feeds into their queues. */
interface Stages {
  destinations: DestinationDirectory;
  rules: RuleDirectory;
  dispatchFeed: DispatchFeed;
}

function createStages(
  config: Config,
  engine: Engine,
  topics: TopicNames,
  logger: Logger,
  { telemetry, trace }: Observed,
): Stages & { feed: SubjectFeed; rulesInBatch: RulesInBatch | undefined } {
  const refreshMs = config.destinationRefreshMs;
  const destinations = new DestinationDirectory({ definitions: engine.definitions, refreshMs, logger: logger.child('destinations') });
  const rules = new RuleDirectory({ definitions: engine.definitions, refreshMs, logger: logger.child('rules') });
  const dispatchFeed = new DispatchFeed({ queue: engine.queue, topics, directory: destinations, trace });
  if (config.engine === 'embedded') {
    // In one process the rules run inside the collector's write: one store write, no second queue hop.
    // The workflow role still runs the delayed rest of a rule when due.
    const emit = engine.queue.producer(topics.collector);
    const rulesInBatch = new RulesInBatch({ rules, dispatch: dispatchFeed, emit, schedule: engine.schedule, ruleMeter: telemetry.rules(), meter: telemetry.stage('workflow'), trace });
    return { destinations, rules, dispatchFeed, feed: dispatchFeed, rulesInBatch };
  }
  const workflowFeed = new WorkflowFeed({ queue: engine.queue, topics, rules, trace });
  // Stored events go to the destinations their triggers take and to the rules that take them.
  const feed: SubjectFeed = {
    publish: (subjects) => Promise.all([dispatchFeed.publish(subjects), workflowFeed.publish(subjects)]),
    listening: async () => (await dispatchFeed.listening()) || (await workflowFeed.listening()),
  };
  return { destinations, rules, dispatchFeed, feed, rulesInBatch: undefined };
}

/** What the workers report to: this instance's meters and trace. */
interface Observed {
  telemetry: Telemetry;
  trace: TraceSink | undefined;
}

function createWorkers(config: Config, roles: readonly Role[], engine: Engine, topics: TopicNames, collector: Collector, stages: Stages, observed: Observed, logger: Logger): Lifecycle[] {
  const { telemetry, trace } = observed;
  const redelivery = { maxRedeliveries: config.maxRedeliveries, redeliveryDelayMs: config.redeliveryDelayMs };
  const workers: Lifecycle[] = [];
  if (roles.includes('collector')) {
    const round = collectorRound(config);
    workers.push(
      createCollectorWorker({
        queue: engine.queue,
        input: topics.collector,
        consumer: { ...redelivery, subscription: topics.subscriptions.collector },
        collector,
        batchSize: round.batchSize,
        batchBytes: round.batchBytes,
        waitMs: config.workerWaitMs,
        logger: logger.child('collector'),
        meter: telemetry.stage('collector'),
        trace,
      }),
    );
  }
  if (roles.includes('workflow')) {
    workers.push(
      createWorkflowWorker({
        queue: engine.queue,
        input: topics.workflow,
        consumer: { ...redelivery, subscription: topics.subscriptions.workflow },
        rules: stages.rules,
        state: engine.profileState,
        store: engine.store,
        dispatch: stages.dispatchFeed,
        emit: engine.queue.producer(topics.collector),
        schedule: engine.schedule,
        schedulePollMs: config.workflowPollMs,
        batchSize: config.collectorBatchSize || WORKFLOW_BATCH_SIZE,
        waitMs: config.workerWaitMs,
        logger: logger.child('workflow'),
        meter: telemetry.stage('workflow'),
        ruleMeter: telemetry.rules(),
        trace,
      }),
    );
  }
  if (roles.includes('dispatch')) {
    telemetry.stage('dispatch');
    workers.push(
      createDispatcher({
        queue: engine.queue,
        topics,
        directory: stages.destinations,
        secrets: config.secrets,
        consumer: redelivery,
        batchSize: config.dispatchBatchSize,
        waitMs: config.workerWaitMs,
        refreshMs: config.destinationRefreshMs,
        logger: logger.child('dispatch'),
        meters: (id) => telemetry.destination(id),
        trace,
      }),
    );
  }
  return workers;
}

function createBatcher(config: Config, engine: Engine, topics: TopicNames, telemetry: Telemetry): RequestBatcher {
  return new RequestBatcher({
    meter: telemetry.publisher(topicLabel(topics.collector)),
    producer: engine.queue.producer(topics.collector),
    lanes: config.queueLanes,
    maxBatchBytes: config.queueBatchBytes,
    lingerMs: config.queueLingerMs,
    maxInFlightPerLane: inFlightPerLane(config),
    maxPendingBytes: config.queueMaxPendingBytes,
    maxEventsPerProfile: RECENT_EVENTS_KEPT / 4,
  });
}

/**
 * How much a collector takes and folds into one store write: as set, or the engine's own. On
 * Pulsar, rounds of up to 1,000 messages (no more than the consumer holds:
 * pulsarReceiverQueueSize a partition) or 4 MiB, and 10,000 requests, fold more of a profile's and a
 * session's writes into one (Elasticsearch's versioned state writes are most of its work) and
 * pay each round's round trips once for more events: 8–32 % more events a second end to end
 * in three alternated pairs (twenty-third session, docs/performance-history.md). In the embedded
 * engine a round runs on the thread that answers HTTP, so it stays small: larger rounds raised
 * the edge's p99 from about 80 ms to about 300 under the end-to-end benchmark's load.
 */
export function collectorRound(config: Pick<Config, 'engine' | 'collectorBatchSize' | 'collectorBatchBytes' | 'collectorMaxRequestsPerWrite'>): {
  batchSize: number;
  batchBytes: number;
  maxRequestsPerWrite: number;
} {
  const onPulsar = config.engine === 'distributed';
  return {
    batchSize: config.collectorBatchSize || (onPulsar ? 1_000 : 100),
    batchBytes: config.collectorBatchBytes || (onPulsar ? 4 * 1024 * 1024 : Infinity),
    maxRequestsPerWrite: config.collectorMaxRequestsPerWrite || (onPulsar ? 10_000 : 2_000),
  };
}

/** Batches of one lane on their way to the queue at once: as set, or the engine's own (config.ts). */
export function inFlightPerLane(config: Pick<Config, 'engine' | 'queueInFlightPerLane'>): number {
  return config.queueInFlightPerLane || (config.engine === 'distributed' ? 4 : 1);
}

/** Queue messages a workflow worker takes at once, unless collectorBatchSize says otherwise. */
const WORKFLOW_BATCH_SIZE = 100;

/** The composition root: builds the engine and the roles asked for, and owns the start and shutdown order. */
export function createInflow(config: Config, roles: readonly Role[], logger: Logger): Inflow {
  tuneForHttpRoles(roles);
  const topics = topicsOf(config);
  let token = config.apiToken ?? '';
  let engine: Engine | undefined;
  let batcher: RequestBatcher | undefined;
  let intake: IntakeDigest | undefined;
  let workers: Lifecycle[] = [];
  let publicServer: HttpServer | undefined;
  let privateServer: HttpServer | undefined;
  const servers = (): HttpServer[] => [publicServer, privateServer].filter((server): server is HttpServer => server !== undefined);
  let privateApi: PrivateApi | undefined;
  let ready = false;
  let accepting = true;
  let closing: Promise<void> | undefined;
  const starting = new AbortController();
  const observability = createObservability(config, roles, () => ready, logger);
  const { telemetry } = observability;
  // What both HTTP servers take from the config.
  const limits = { maxBodyBytes: config.maxBodyBytes, requestTimeoutMs: Math.min(config.requestTimeoutMs, MAX_REQUEST_TIMEOUT_MS) };
  if (config.requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    logger.warn(`INFLOW_REQUEST_TIMEOUT_MS ${config.requestTimeoutMs} is taken as ${MAX_REQUEST_TIMEOUT_MS}: uWebSockets.js closes a connection silent for 10 s (checked every 4 s), before a longer deadline's 408`);
  }
  const requestIds = { trustHeader: config.trustRequestId };

  /**
   * How both HTTP servers listen: on uWebSockets.js (loaded once, refused on its slow fallback
   * unless allowed) or, when INFLOW_HTTP_SERVER=node, on Node's own http server.
   */
  function serverListener(): Listen {
    if (config.httpServer === 'node') {
      logger.info('HTTP on node:http (INFLOW_HTTP_SERVER=node): HTTP/1.0 and pipelined requests are served, at a lower ceiling than uWebSockets.js');
      return listenNodeHttp;
    }
    const { uws, native } = loadUws(config.allowUwsFallback);
    if (!native) logger.warn('running on the uWebSockets.js pure-JS fallback: expect lower throughput');
    return (options, serverLogger) => listenUws(uws, options, serverLogger);
  }

  /**
   * The demo's source, made if missing, before the edge listens (so that the demo's first requests
   * never get 403). The edge alone opens Elasticsearch on first use: while the store cannot be
   * reached (and Redis does not hold the source yet) the start waits for it, trying every 2 s with a
   * warning, as it waits for its services; anything else stops the start.
   */
  async function ensureDemoSource(sources: SourceRegistry): Promise<void> {
    let failing: string | undefined;
    for (;;) {
      try {
        await sources.ensure(config.demoSourceId, { name: 'Demo site' });
        if (failing !== undefined) logger.info(`demo source "${config.demoSourceId}" ready`);
        return;
      } catch (error) {
        if (!isInfrastructureError(error)) throw error;
        const reason = errorMessage(error);
        if (reason !== failing) logger.warn(`demo source "${config.demoSourceId}" cannot be made yet, waiting for the store (every 2 s): ${reason}`);
        failing = reason;
      }
      await sleepUnless(2_000, starting.signal);
      if (starting.signal.aborted) throw new ServicesUnavailableError('start abandoned: the process is shutting down');
    }
  }

  async function startEdge(listen: Listen, engine: Engine, sources: SourceRegistry, collector: Collector): Promise<void> {
    const demo = config.serveDemo ? demoFiles() : undefined;
    if (config.serveDemo && !demo) logger.warn('demo site not served: build it first (npm start does)');
    if (demo) await ensureDemoSource(sources);
    const edgeLogger = logger.child('edge');
    // The demo shop's live panel reads the visitor's own profile (by its tracker cookie): only while the demo is served.
    const withDemo = (handler: HttpHandler): HttpHandler => (demo ? withDemoRoutes({ store: engine.store, sourceId: config.demoSourceId }, handler) : handler);
    // The server's own refusals (413, 408) get CORS where the origin may read them, and count in the intake log.
    const withEarlyCors = earlyReplyCors((origin) => sources.originAllowedAsLastListed(origin));
    const served = await listen(
      {
        ...limits,
        host: config.publicHost,
        port: config.publicPort,
        meter: telemetry.http('public'),
        requestIds,
        earlyReply: (origin, reply, path) => {
          const answer = withEarlyCors(origin, reply);
          intake?.noteEarly(path, answer);
          return answer;
        },
        handler: withDemo(publicRoutes({
          sources,
          limits: { maxEvents: config.maxEvents, maxEventBytes: config.maxEventBytes, maxBodyBytes: config.maxBodyBytes },
          queueTimeoutMs: config.queueTimeoutMs,
          collectorQueue: (batcher = createBatcher(config, engine, topics, telemetry)),
          collector,
          meter: telemetry.edge(),
          trace: observability.trace,
          queueTopic: topicLabel(topics.collector),
          isReady: () => ready && engine.queue.healthy(),
          isAccepting: () => accepting,
          logger: edgeLogger,
          intake: (intake = new IntakeDigest(edgeLogger)),
          ...(demo ? { staticFiles: demo } : {}),
        })),
      },
      edgeLogger,
    );
    publicServer = served;
    edgeLogger.info(`public edge listening on http://${config.publicHost}:${served.port}`, { demo: demo ? '/' : 'off' });
    await startPrivateApi(listen, engine, sources);
  }

  /** The private API (the `edge` role's, or the `api` role's alone): its token, then its port. */
  async function startPrivateApi(listen: Listen, engine: Engine, sources: SourceRegistry): Promise<void> {
    // Only the role that serves the private API needs its token (workers may run on a read-only disk).
    const resolved = resolveApiToken(config.apiToken, config.dataDir);
    token = resolved.token;
    privateServer = await listen(
      { ...limits, host: config.privateHost, port: config.privatePort, meter: telemetry.http('private'), requestIds, handler: (privateApi = privateRoutes({
        token,
        sources,
        store: engine.store,
        queue: engine.queue,
        definitions: engine.definitions,
        schedule: engine.schedule,
        secrets: config.secrets,
        trace: engine.trace,
        traceTtlSeconds: config.traceTtlSeconds,
        stats: engine.stats,
        statsIntervalMs: config.statsIntervalMs,
        metrics: { text: () => telemetry.metrics(), contentType: telemetry.contentType },
      })) },
      logger.child('private-api'),
    );
    logger.child('edge').info(`private API listening on http://${config.privateHost}:${privateServer.port}`, {
      token: resolved.file ? `in ${resolved.file}` : 'from config',
    });
  }

  async function startRoles(): Promise<void> {
    await observability.listen();
    const connected = await connectWhenAvailable(`${config.engine} engine`, () => createEngine(config, topics, logger, roles), {
      timeoutMs: config.startTimeoutMs,
      logger,
      signal: starting.signal,
    });
    // Closed while the last attempt was still connecting: close() found no engine to close.
    if (starting.signal.aborted) {
      await connected.close();
      throw new ServicesUnavailableError('start abandoned: the process is shutting down');
    }
    engine = connected;
    observability.attach(engine);
    const { trace } = observability;
    const stages = createStages(config, engine, topics, logger, { telemetry, trace });
    telemetry.watchBacklog(consumedBacklog(engine.queue, roles, topics, stages.destinations));
    const collector = new Collector({
      state: engine.profileState,
      store: engine.store,
      logger: logger.child('collector'),
      maxRequestsPerWrite: collectorRound(config).maxRequestsPerWrite,
      feed: stages.feed,
      rules: stages.rulesInBatch,
      trace,
      storeWrites: roles.includes('collector') || roles.includes('edge') ? telemetry.storeWrites() : undefined,
    });
    workers = createWorkers(config, roles, engine, topics, collector, stages, { telemetry, trace }, logger);
    for (const worker of workers) await worker.start();
    if (roles.includes('edge')) await startEdge(serverListener(), engine, new SourceRegistry(engine.sources, config.sourceCacheTtlMs), collector);
    else if (roles.includes('api')) await startPrivateApi(serverListener(), engine, new SourceRegistry(engine.sources, config.sourceCacheTtlMs));
    ready = true;
    logger.info(`inflow started`, { engine: config.engine, roles: roles.join(','), dataDir: config.dataDir });
  }

  const inflow: Inflow = {
    async start() {
      try {
        await startRoles();
      } catch (error) {
        // What did start (the health port, the engine's connections, workers) is closed again.
        await inflow.close().catch((closeError: unknown) => logger.error(`closing after a failed start: ${errorMessage(closeError)}`));
        throw error;
      }
    },
    close() {
      closing ??= (async () => {
        // A start still waiting for its services stops waiting.
        starting.abort();
        ready = false;
        logger.info('shutting down: readiness is now 503');
        if (config.drainDelayMs > 0) await sleep(config.drainDelayMs);
        for (const server of servers()) server.stopListening();
        const deadline = Date.now() + config.shutdownTimeoutMs;
        while (servers().some((server) => server.inFlight() > 0) && Date.now() < deadline) await sleep(10);
        accepting = false;
        const left = servers().reduce((sum, server) => sum + server.inFlight(), 0);
        if (left > 0) logger.warn(`shutdown timeout: ${left} requests still in flight`);
        await batcher?.close();
        // The answers of the last period, those given while draining included.
        intake?.flush();
        privateApi?.close();
        for (const worker of workers) {
          await worker.close().catch((error: unknown) => logger.error(`worker close failed: ${errorMessage(error)}`));
        }
        await observability.detach();
        await engine?.close();
        await observability.close();
        logger.info('shutdown complete: queue flushed, storage closed');
      })();
      return closing;
    },
    get publicPort() {
      return publicServer?.port ?? 0;
    },
    get privatePort() {
      return privateServer?.port ?? 0;
    },
    get healthPort() {
      return observability.healthPort;
    },
    get apiToken() {
      return token;
    },
    telemetry,
  };
  return inflow;
}
