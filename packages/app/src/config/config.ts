import {
  boolean,
  coerce,
  create,
  defaulted,
  enums,
  integer,
  min,
  max,
  object,
  optional,
  pattern,
  record,
  size,
  string,
  StructError,
  type Infer,
  type Struct,
} from 'superstruct';
import { ConfigError } from '@inflow/core';
import { MOST_EVENTS_PER_REQUEST, RECENT_EVENTS_KEPT, SECRET_ENV_PREFIX, secretKey } from '@inflow/workers';

const int = (fallback: number, lowest = 0, highest = Number.MAX_SAFE_INTEGER): Struct<number, null> =>
  defaulted(
    coerce(max(min(integer(), lowest), highest), string(), (text) => (/^-?\d+$/.test(text.trim()) ? Number(text) : text)),
    fallback,
  ) as unknown as Struct<number, null>;

const flag = (fallback: boolean): Struct<boolean, null> =>
  defaulted(
    coerce(boolean(), string(), (text) => (['1', 'true', 'yes', 'on'].includes(text.toLowerCase()) ? true : ['0', 'false', 'no', 'off'].includes(text.toLowerCase()) ? false : text)),
    fallback,
  ) as unknown as Struct<boolean, null>;

const text = (fallback: string): Struct<string, null> => defaulted(size(string(), 1, 1024), fallback) as unknown as Struct<string, null>;

/**
 * Every setting, its type and its default, in one place. Each key can be set in the JSON
 * config file (camelCase) or the environment (INFLOW_ + SCREAMING_SNAKE_CASE, which wins).
 */
export const ConfigSchema = object({
  /** embedded: everything in one process on local files. distributed: Pulsar, Elasticsearch, Redis. */
  engine: defaulted(enums(['embedded', 'distributed']), 'embedded'),
  /** Where the embedded engine keeps its queue and store. */
  dataDir: text('.inflow-data'),
  publicHost: text('127.0.0.1'),
  publicPort: int(8686, 0, 65535),
  privateHost: text('127.0.0.1'),
  privatePort: int(8687, 0, 65535),
  /** Bearer token of the private API. Unset: one is made and kept in {dataDir}/api-token. */
  apiToken: optional(size(string(), 16, 256)),
  maxBodyBytes: int(1_000_000, 1024),
  /**
   * Events one request may carry, at most MOST_EVENTS_PER_REQUEST (128): past it, a redelivered
   * request would no longer fit what profiles and sessions remember of the events they counted.
   */
  maxEvents: int(100, 1),
  maxEventBytes: int(65_536, 256),
  /**
   * A request whose body has not arrived by then is cut off with 408. Taken as at most 7.5 s
   * (MAX_REQUEST_TIMEOUT_MS, with a warning at start): uWebSockets.js closes a connection that
   * sent nothing for 10 s, checking every 4 s (so as early as 8 s), and the 408 must come first.
   */
  requestTimeoutMs: int(7_000, 100),
  /** Longest wait for the queue to accept a request before answering 503. */
  queueTimeoutMs: int(5_000, 10),
  /** Messages a topic may hold before the edge answers 503 (embedded queue). */
  queueMaxBacklog: int(1_000_000, 1),
  /**
   * Queued requests are put many to a queue message, in this many ordered lanes (by profile).
   * A lane publishes its batch when it reaches queueBatchBytes, or after queueLingerMs (0: at
   * once) when fewer than queueInFlightPerLane batches are on their way; otherwise the batch
   * grows until the broker confirms one (group commit). queueInFlightPerLane 0 is the engine's
   * own: 4 on Pulsar (measured: 15-29 % more requests/s at the edge than 1, then 17-30 % more
   * again than 2, 21-22k -> 25-29k req/s, with the same or a better end-to-end rate; 8 added
   * nothing), 1 on the embedded queue, whose writer thread commits every lane's writes together
   * anyway (2 measured the same requests/s, 9 MB more RSS).
   */
  queueLanes: int(8, 1, 1024),
  queueBatchBytes: int(131_072, 1024, 700_000),
  queueLingerMs: int(0, 0, 1000),
  queueInFlightPerLane: int(0, 0, 64),
  /** Bytes accepted but not yet confirmed by the queue, beyond which the edge answers 503. */
  queueMaxPendingBytes: int(64_000_000, 65_536),
  tenant: text('inflow'),
  collectorNamespace: text('collector'),
  /** Created at start for the dispatch and workflow stages. */
  dispatchNamespace: text('dispatch'),
  workflowNamespace: text('workflow'),
  /**
   * Queue messages (each a batch of requests) a collector takes at once; 0 is the engine's own
   * (collectorRound in app.ts: 1,000 on Pulsar, 100 on the embedded queue).
   */
  collectorBatchSize: int(0, 0, 10_000),
  /**
   * Bytes of queue messages a collector takes at once, at most (a larger message goes alone); 0 is
   * the engine's own (4 MiB on Pulsar, no bound on the embedded queue).
   */
  collectorBatchBytes: int(0, 0, 268_435_456),
  /** Most requests folded into one store write; 0 is the engine's own (10,000 on Pulsar, 2,000 embedded). */
  collectorMaxRequestsPerWrite: int(0, 0, 100_000),
  /** How long a worker waits for more messages before handling what it has. */
  workerWaitMs: int(200, 1, 60_000),
  /** Messages a dispatch lane takes at once (several profiles delivered in parallel, each in order). */
  dispatchBatchSize: int(64, 1, 10_000),
  /** How soon a destination created, changed or paused through the API reaches collectors and dispatchers. */
  destinationRefreshMs: int(2_000, 100, 600_000),
  /** How often the workflow role looks for delayed rule actions that are due. */
  workflowPollMs: int(1_000, 50, 60_000),
  maxRedeliveries: int(5, 0, 1000),
  redeliveryDelayMs: int(1_000, 0),
  /** Profiles and sessions the embedded collector keeps in memory. */
  profileCacheSize: int(100_000, 100),
  sourceCacheTtlMs: int(5_000, 0),
  /** Distributed engine: where the services are. */
  pulsarUrl: text('http://127.0.0.1:8080'),
  /**
   * How producers and consumers talk to Pulsar: `binary`, its own protocol at pulsarServiceUrl
   * (measured 1.5x the events a second of `websocket` end to end, docs/performance-history.md, tenth session), or
   * `websocket`, its WebSocket API at pulsarUrl. Admin calls always use pulsarUrl.
   */
  pulsarTransport: defaulted(enums(['binary', 'websocket']), 'binary'),
  /**
   * pulsar://host:port of the broker or proxy for the binary transport. Default: the address the
   * cluster's metadata gives (admin API at pulsarUrl), else pulsarUrl's host on port 6650.
   */
  pulsarServiceUrl: optional(pattern(size(string(), 1, 1024), /^pulsar(\+ssl)?:\/\/[^/\s,]+\/?$/)),
  /**
   * Pulsar's token authentication: the token (a JWT) Inflow shows on every connection (admin
   * API, WebSocket API, binary protocol), or the file holding it (a mounted secret, read again
   * when it changes). Neither: the cluster does not require authentication.
   */
  pulsarToken: optional(pattern(size(string(), 1, 16_384), /^\s*[\x21-\x7e]+\s*$/)),
  pulsarTokenFile: optional(size(string(), 1, 1024)),
  elasticsearchUrl: text('http://127.0.0.1:9200'),
  redisUrl: text('redis://127.0.0.1:6379'),
  /** Partitions of each topic; workers of one role scale up to this many per partition key range. */
  pulsarPartitions: int(4, 1, 1024),
  /** WebSocket connections per topic producer (one key always uses the same one). */
  pulsarProducerConnections: int(4, 1, 64),
  /** Queue messages (each a batch of requests, up to queueBatchBytes) a collector buffers ahead. */
  pulsarReceiverQueueSize: int(200, 1, 100_000),
  /**
   * A consumer that received nothing for this long while idle asks for its subscription's
   * backlog; a backlog on two checks in a row makes it reconnect (or unload the stuck
   * partitions), which gets a stalled subscription going again (0: never). 5 s: a stall after a
   * collector was killed held a partition for 20-30 s at 10 s (one admin call per check, only
   * while idle).
   */
  pulsarStallCheckMs: int(5_000, 0),
  /** Elasticsearch index names and Redis keys start with this. */
  storagePrefix: text('inflow'),
  /**
   * Elasticsearch index.refresh_interval of new indices: how soon stored records are searchable.
   * `auto`: Elasticsearch's own (every second while an index is searched, none while nobody
   * searched it for 2 s; a search then refreshes first, so a write is searchable about a second
   * later either way). Otherwise an Elasticsearch time value (`1s`, `30s`, `500ms`) or `-1` (never).
   */
  refreshInterval: defaulted(pattern(string(), /^(auto|-1|\d+(d|h|m|s|ms|micros|nanos))$/), 'auto') as unknown as Struct<string, null>,
  /** How long an untouched profile and session stay hot in Redis. */
  profileTtlSeconds: int(86_400, 60),
  sessionTtlSeconds: int(3_600, 60),
  /** How long the trace of an event (`inflow trace`) is kept. */
  traceTtlSeconds: int(900, 60, 30 * 86_400),
  /**
   * Trace entries the embedded engine keeps in memory (the oldest go first), 160 bytes each, all
   * resident on a busy process: 20,000 are 3.2 MB, a quarter of an hour at 22 entries a second
   * (`inflow run` makes two or more a request: queued, stored, then one per routed or delivered event).
   */
  traceMaxEntries: int(20_000, 1_000, 10_000_000),
  /**
   * Trace entries each process keeps in Redis within one time to live (distributed engine;
   * about 300 bytes each, so 1,000,000 is about 300 MB of Redis per process at most); past it, entries
   * are dropped and counted (inflow_trace_entries_total{outcome="dropped"}).
   */
  traceRedisMaxEntries: int(1_000_000, 1_000, 100_000_000),
  /** Newest trace entries kept per profile (distributed engine). */
  traceProfileEntries: int(200, 10, 10_000),
  /** How often each role publishes its counters for the private API (ops console, /stats). */
  statsIntervalMs: int(5_000, 100, 60_000),
  /** Where workers answer /metrics, /healthz and /readyz (0: a free port, logged). */
  healthHost: text('127.0.0.1'),
  healthPort: int(0, 0, 65535),
  /** Prometheus metrics of HTTP answers, queue publishes and store writes (off: only the stage counters are kept). */
  metrics: flag(true),
  /** Record where each event has been (`inflow trace`). */
  trace: flag(true),
  /**
   * Keep a caller's X-Request-Id (1-128 of A-Z a-z 0-9 . _ : -) as the request's id: only behind
   * a proxy that sets it. Otherwise every request gets a fresh id.
   */
  trustRequestId: flag(false),
  /** Serve the demo site on the public port at / (and create its source). */
  serveDemo: flag(true),
  demoSourceId: text('demo'),
  logLevel: defaulted(enums(['debug', 'info', 'warn', 'error']), 'info'),
  logFormat: defaulted(enums(['text', 'json']), 'text'),
  /**
   * The HTTP server of the public edge and the private API. uws (uWebSockets.js, the default) is
   * the fast one; node (Node's own http server) serves what uWebSockets.js cannot: HTTP/1.0
   * clients (nginx's proxy_pass without proxy_http_version 1.1, ApacheBench, HAProxy's default
   * health check) and HTTP/1.1 pipelining, at about half the throughput of the edge on uws.
   */
  httpServer: defaulted(enums(['uws', 'node']), 'uws'),
  /** Run on uWebSockets.js' slow pure-JS fallback when the native build does not load. */
  allowUwsFallback: flag(false),
  /** After SIGTERM, how long readiness reports 503 before the listener closes (load balancers). */
  drainDelayMs: int(0, 0, 600_000),
  /** Longest graceful shutdown before the process exits anyway. */
  shutdownTimeoutMs: int(15_000, 100),
  /**
   * How long a role (and `inflow setup`) waits at start for Pulsar, Elasticsearch and Redis to be
   * reachable, trying again with a pause of up to 5 s and a warning each time; 0 waits as long as
   * it takes. A refused token or an untrusted certificate stops the start at once.
   */
  startTimeoutMs: int(0, 0),
  /**
   * Values of the secrets destinations name (`webhook.secretHeaders`), by key: the name
   * upper-cased with `-` as `_`. Set each as INFLOW_SECRET_<KEY> (or under "secrets" in the
   * config file); never shown by the API, the logs or `inflow config`.
   */
  secrets: defaulted(record(string(), string()), {}),
});

export type Config = Infer<typeof ConfigSchema>;
export type ConfigKey = keyof Config;

export const CONFIG_KEYS = Object.keys(ConfigSchema.schema) as ConfigKey[];

export function envName(key: string): string {
  return 'INFLOW_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/**
 * Builds the configuration from the file's values and the environment, checks it, and
 * throws a ConfigError naming the first bad key (as the environment variable when it came from there).
 */
export function parseConfig(fromFile: Record<string, unknown>, env: Record<string, string | undefined>): Config {
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const [key, value] of Object.entries(fromFile)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) throw new ConfigError(key, `unknown setting in the config file (known: ${CONFIG_KEYS.join(', ')})`);
    merged[key] = value;
    origin.set(key, `${key} (config file)`);
  }
  merged['secrets'] = readSecrets(fromFile['secrets'], env);
  for (const key of CONFIG_KEYS) {
    if (key === 'secrets') continue;
    const value = env[envName(key)];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      origin.set(key, envName(key));
    }
  }
  let config: Config;
  try {
    config = create(merged, ConfigSchema);
  } catch (error) {
    if (!(error instanceof StructError)) throw error;
    const key = String(error.path[0] ?? error.key ?? '');
    // A secret's value is never repeated in an error (superstruct's message quotes it): it would land in logs.
    if (SECRET_SETTINGS.has(key)) throw new ConfigError(origin.get(key) ?? key, 'is not valid: printable characters without spaces, of the length allowed (value not shown)');
    throw new ConfigError(origin.get(key) ?? key, `${error.message}${error.value === undefined ? '' : ` (got ${JSON.stringify(error.value)})`}`);
  }
  if (config.maxEvents > MOST_EVENTS_PER_REQUEST) {
    throw new ConfigError(
      origin.get('maxEvents') ?? 'maxEvents',
      `at most ${MOST_EVENTS_PER_REQUEST} (got ${config.maxEvents}): a profile and a session remember the last ${RECENT_EVENTS_KEPT} events they counted, and a redelivered request must fit in that to be counted once`,
    );
  }
  if (config.pulsarToken !== undefined && config.pulsarTokenFile !== undefined) {
    throw new ConfigError(origin.get('pulsarTokenFile') ?? 'pulsarTokenFile', `give the Pulsar token (${envName('pulsarToken')}) or the file holding it (${envName('pulsarTokenFile')}), not both`);
  }
  return config;
}

/** Settings whose values are secrets: shown as "(set)", never repeated in errors. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['apiToken', 'pulsarToken']);

const SECRET_KEY = /^[A-Z0-9][A-Z0-9_]{0,63}$/;

/** The secrets of the file's "secrets" object and the INFLOW_SECRET_<KEY> variables (which win); errors never show a value. */
function readSecrets(fromFile: unknown, env: Record<string, string | undefined>): Record<string, string> {
  if (env['INFLOW_SECRETS'] !== undefined) throw new ConfigError('INFLOW_SECRETS', `set each secret as its own variable, ${SECRET_ENV_PREFIX}<NAME>`);
  const entries: Array<[string, unknown, string]> = [];
  if (fromFile !== undefined) {
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
      throw new ConfigError('secrets (config file)', 'must be an object of secret names and values');
    }
    for (const [name, value] of Object.entries(fromFile)) entries.push([name, value, `secrets.${name} (config file)`]);
  }
  for (const [variable, value] of Object.entries(env)) {
    if (variable.startsWith(SECRET_ENV_PREFIX) && value !== undefined && value !== '') entries.push([variable.slice(SECRET_ENV_PREFIX.length), value, variable]);
  }
  const secrets: Record<string, string> = {};
  for (const [name, value, origin] of entries) {
    const key = secretKey(name);
    if (!SECRET_KEY.test(key)) throw new ConfigError(origin, 'a secret name is 1-64 of letters, digits, _ and -, starting with a letter or digit');
    if (typeof value !== 'string' || value.length === 0 || value.length > 4_096) throw new ConfigError(origin, 'must be text of 1 to 4096 characters');
    if (/[\r\n\0]/.test(value)) throw new ConfigError(origin, 'must not contain line breaks or NUL (it is sent as a header value)');
    secrets[key] = value;
  }
  return secrets;
}
