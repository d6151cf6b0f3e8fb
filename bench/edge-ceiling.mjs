#!/usr/bin/env node
// The edge's ceiling, side by side in one run, measured with wrk on pinned cores: the server
// under test on core 0, wrk (one thread) on core 1. Same payloads and settings for every target:
//   (a)  bare uWebSockets.js: JSON.parse of the body, 201          (baseline)
//   (b)  bare node:http doing the same                              (second baseline)
//   (c)  `inflow run`, embedded engine (SQLite queue): POST /track in queue mode; the collector
//        shares the process (the embedded engine has no edge-only command)
//   (c2) the edge role alone on the embedded engine (createInflow with roles ['edge']: nothing
//        consumes the queue), to separate the edge from the collector sharing its core
//   (d)  `inflow edge`, distributed engine (Pulsar): POST /track in queue mode; Pulsar,
//        Elasticsearch and Redis run on wrk's core (pinned while the benchmark runs), as they would
//        run off the edge's machine in a deployment (--no-pin-services: on every core)
// Then (c) and (d) again at half of their peak rate, for the p99 at a sane load.
// wrk is closed-loop: it has no fixed rate. Debian does not package wrk2, so half load is
// approximated by pacing wrk's connections with a random think time (a Lua delay()), or with
// --half connections by the connection count that gives about half the peak.
// Usage: node bench/edge-ceiling.mjs [--duration 10] [--warmup 2] [--connections 64]
//        [--no-pulsar] [--no-edge-only] [--half paced|connections] [--no-half] [--only key,key] [--rounds 1]
//        [--no-pin-services] [--broker-warmup 120]
//        [--cpu-rate R] [--verbose] [--server-log DIR]
// BENCH_NODE_ARGS="--max-semi-space-size=2" passes V8 flags to the Inflow targets (not to the baselines).
// The Inflow targets run with MALLOC_ARENA_MAX=2, as the image sets it (deploy/Dockerfile);
// MALLOC_ARENA_MAX in this benchmark's environment overrides it.
// Needs Linux with 2+ cores, taskset, and wrk (installed with apt-get when missing).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './support/median.mjs';
import { cpuSeconds, listeningPids } from './support/processes.mjs';
import { ensureWrk, has } from './support/wrk.mjs';

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (at < 0) return fallback;
  return argv[at].includes('=') ? argv[at].slice(name.length + 3) : argv[at + 1];
};
const DURATION = Number(option('duration', 10));
const WARMUP = Number(option('warmup', 2));
/**
 * Longest extra warm-up before the run's first Pulsar row, in 5 s probes until two in a row agree
 * within 10 %: a broker whose JVM has just started compiles its hot paths under load, and pinned
 * to one core it ran the first rows at a third of their speed (4.4k, then 7k and 9.3k, against
 * 15k req/s warm, at 86-94 % of its core).
 */
const BROKER_WARMUP = Number(option('broker-warmup', 120));
let brokerWarm = false;
const CONNECTIONS = Number(option('connections', 64));
const ROUNDS = Number(option('rounds', 1));
/** --cpu-rate 10000: also measure each target's CPU per request at about this rate. */
const CPU_RATE = Number(option('cpu-rate', 0));
const HALF_MODE = option('half', 'paced');
/** --no-half: peak rates only (e.g. when profiling, so that both rows of a pair do the same runs). */
const WITH_HALF = !argv.includes('--no-half');
const WITH_PULSAR = !argv.includes('--no-pulsar');
const WITH_EDGE_ONLY = !argv.includes('--no-edge-only');
/** --no-pin-services: leave Pulsar, Elasticsearch and Redis on every core (by default they share wrk's core during the run). */
const PIN_SERVICES = !argv.includes('--no-pin-services');
const VERBOSE = argv.includes('--verbose');
/** --server-log DIR: keep each target's output (its log, and what BENCH_NODE_ARGS asks V8 to print) in DIR. */
const SERVER_LOG = option('server-log', '');
if (argv.some((arg) => arg === '--server-log' || arg.startsWith('--server-log=')) && (!SERVER_LOG || SERVER_LOG.startsWith('--'))) throw new Error('--server-log needs a directory');
/** The server logs this run has started (and emptied). */
const serverLogs = new Set();
/** --only bare-uws,embedded-edge: measure only these targets. */
const ONLY = option('only', '') ? option('only', '').split(',') : undefined;
/** Settings for the `embedded-edge-dark` row (default: metrics and trace off), e.g. BENCH_DARK_ENV="INFLOW_TRACE=false". */
const DARK_ENV = Object.fromEntries((process.env.BENCH_DARK_ENV ?? 'INFLOW_METRICS=false INFLOW_TRACE=false').split(/\s+/).filter(Boolean).map((pair) => pair.split('=')));
for (const [name, value] of [['duration', DURATION], ['warmup', WARMUP], ['broker-warmup', BROKER_WARMUP], ['connections', CONNECTIONS], ['rounds', ROUNDS], ['cpu-rate', CPU_RATE]]) {
  if (!Number.isInteger(value) || value < (name === 'warmup' || name === 'broker-warmup' || name === 'cpu-rate' ? 0 : 1)) throw new Error(`--${name} must be a whole number (got ${value})`);
}
if (!['paced', 'connections'].includes(HALF_MODE)) throw new Error(`--half must be "paced" or "connections" (got ${HALF_MODE})`);
if (SERVER_LOG) mkdirSync(SERVER_LOG, { recursive: true });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/app/dist/cli.js');
const APP_INDEX = join(ROOT, 'packages/app/dist/index.js');
const CORE_INDEX = join(ROOT, 'packages/core/dist/index.js');
const STACK = join(ROOT, 'scripts/stack.mjs');
const TOKEN = 'edge-ceiling-token-0123456789';
const SERVER_CORE = '0';
const CLIENT_CORE = '1';
const PROBE_SECONDS = 3;

const say = (line) => process.stderr.write(`[edge-ceiling] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked, and killed on exit, on errors and on Ctrl-C.

const children = new Set();
let tmp;
let stackStartedByUs = false;

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll(signal) {
  for (const child of children) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function stopStackIfOurs() {
  if (!stackStartedByUs) return;
  stackStartedByUs = false;
  say('stopping Redis, Pulsar and Elasticsearch (this script started them): node scripts/stack.mjs down');
  spawnSync(process.execPath, [STACK, 'down'], { stdio: 'inherit' });
}

async function cleanUp() {
  unpinServices();
  killAll('SIGTERM');
  const until = Date.now() + 10_000;
  while (children.size > 0 && Date.now() < until) await sleep(50);
  killAll('SIGKILL');
  stopStackIfOurs();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}

// On Ctrl-C the children are stopped at once; the main flow then fails, skips the report and
// cleans up in its finally. Should it hang, a timer cleans up and exits anyway.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping every process this benchmark started`);
    killAll('SIGTERM');
    setTimeout(() => cleanUp().finally(() => process.exit(130)), 20_000).unref();
  });
}
process.on('exit', () => {
  killAll('SIGKILL');
  unpinServices();
});

// ---------------------------------------------------------------------------------------------
// Tools

function checkMachine() {
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc and pins cores with taskset: Linux only');
  if (cpus().length < 2) throw new Error(`pinning needs 2 cores (server on ${SERVER_CORE}, wrk on ${CLIENT_CORE}); this machine has ${cpus().length}`);
  if (!has('taskset')) throw new Error('taskset not found (Debian package util-linux)');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -b, or npm run bench:edge)`);
}


/** wrk2 (fixed request rate) when installed; Debian has no package for it. */
function findWrk2() {
  if (has('wrk2')) return 'wrk2';
  const policy = spawnSync('apt-cache', ['policy', 'wrk2'], { encoding: 'utf8' });
  const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? '')?.[1];
  say(
    candidate && candidate !== '(none)'
      ? `wrk2 is packaged (${candidate}) but not installed; approximating half load with wrk (${HALF_MODE})`
      : `wrk2: not on PATH and not packaged in Debian (apt-cache policy wrk2 has no candidate); approximating half load with wrk (${HALF_MODE})`,
  );
  return undefined;
}

/** Resident set size in bytes, or 0 once the process is gone. */
function rssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Busy and total ticks of each core (/proc/stat), to see what else ran on the pinned cores. */
function coreTicks() {
  const ticks = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].trim().split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    ticks[match[1]] = { busy, total: busy + idle + iowait };
  }
  return ticks;
}

const coreBusy = (before, after, core) => (after[core].busy - before[core].busy) / Math.max(1, after[core].total - before[core].total);

// ---------------------------------------------------------------------------------------------
// Payloads and the wrk scripts

/** Tracker-like /track bodies in queue mode: ids and times already set, so the edge queues the raw body. */
function trackBodies(count = 16) {
  const time = new Date().toISOString();
  const id = (prefix, n) => `${prefix}${(0x5f3a9c + n * 7919).toString(36)}${(n * 31).toString(36).padStart(3, '0')}`;
  const pages = ['/', '/shoes', '/shoes/runner-42', '/cart'];
  return Array.from({ length: count }, (_, i) => {
    const path = pages[i % pages.length];
    const events = [{ id: id('e', 2 * i), type: 'page-view', time }];
    if (i % 4 === 3) events.push({ id: id('e', 2 * i + 1), type: 'add-to-cart', time, properties: { sku: `SKU-${100 + i}` } });
    return JSON.stringify({
      source: { id: 'bench' },
      profile: { id: id('p', i % 8) },
      session: { id: id('s', i) },
      context: { page: { url: `https://shop.example${path}` } },
      events,
      options: { queue: true },
    });
  });
}

/**
 * wrk script: rotates over the bodies (POST /track, application/json) and prints one JSON line
 * with the figures at the end. `paced` adds a random think time per connection (mean in ms
 * from the script argument), for an approximate fixed rate.
 */
function wrkScript(bodies, paced) {
  const lua = bodies.map((body) => `  [==[${body}]==],`).join('\n');
  return `-- written by bench/edge-ceiling.mjs
local bodies = {
${lua}
}
local requests = {}
local i = 0
local mean_delay = 0

function init(args)
  for k, body in ipairs(bodies) do
    requests[k] = wrk.format("POST", "/track", { ["Content-Type"] = "application/json" }, body)
  end
  mean_delay = tonumber(args[1] or "0") or 0
  math.randomseed(os.time())
end

function request()
  i = i % #requests + 1
  return requests[i]
end
${paced ? `
-- Exponential think time (Poisson-like arrivals), rounded at random so the mean stays exact.
function delay()
  local x = -mean_delay * math.log(1 - math.random())
  local whole = math.floor(x)
  if math.random() < x - whole then whole = whole + 1 end
  return whole
end
` : ''}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'EDGE_CEILING {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;
}

/** A bare server: JSON.parse of the body, 201 with a small JSON answer. Prints "listening <port>". */
const BARE_UWS = `import { createRequire } from 'node:module';
const uws = createRequire(import.meta.url)(process.argv[2]);
const native = Function.prototype.toString.call(uws.App).includes('[native code]');
const app = uws.App();
const ACCEPTED = '{"queued":true}';
app.post('/track', (res) => {
  let aborted = false;
  const chunks = [];
  res.onAborted(() => { aborted = true; });
  res.onData((chunk, isLast) => {
    // The chunk is only valid inside this callback: copy it unless it is the whole body.
    if (!isLast) return void chunks.push(Buffer.from(chunk.slice(0)));
    const body = chunks.length === 0 ? Buffer.from(chunk) : Buffer.concat([...chunks, Buffer.from(chunk)]);
    let status = '201 Created';
    let reply = ACCEPTED;
    try { JSON.parse(body.toString('utf8')); } catch { status = '400 Bad Request'; reply = '{"error":"malformed_json"}'; }
    if (!aborted) res.cork(() => res.writeStatus(status).writeHeader('content-type', 'application/json').end(reply));
  });
});
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) { console.error('cannot listen'); process.exit(1); }
  process.stdout.write('listening ' + uws.us_socket_local_port(socket) + ' native=' + native + '\\n');
});
process.on('SIGTERM', () => process.exit(0));
`;

const BARE_NODE = `import { createServer } from 'node:http';
const ACCEPTED = '{"queued":true}';
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let status = 201;
    let reply = ACCEPTED;
    try { JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { status = 400; reply = '{"error":"malformed_json"}'; }
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
    res.end(reply);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

/** The edge role alone on the embedded engine: what "inflow edge" would be if the CLI allowed it there. */
const EDGE_ONLY = `const [appIndex, coreIndex] = process.argv.slice(-2);
const { createInflow, loadConfig } = await import(appIndex);
const { createLogger } = await import(coreIndex);
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel, format: config.logFormat });
const inflow = createInflow(config, ['edge'], logger);
await inflow.start();
const stop = () => inflow.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;

// ---------------------------------------------------------------------------------------------
// Starting targets

/** Starts `node <args>` pinned to the server core; resolves once `ready` matches its output. */
function startPinned(name, nodeArgs, { env = {}, ready, timeoutMs = 120_000 }) {
  const child = track(
    spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...nodeArgs], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let text = '';
  // --server-log DIR: each target's whole output (e.g. with BENCH_NODE_ARGS=--trace-gc-nvp) in DIR/<name>.log.
  const logFile = SERVER_LOG ? join(SERVER_LOG, `${name.replace(/[^\w.-]+/g, '_')}.log`) : undefined;
  // Emptied the first time a target starts in this run; its later starts (--rounds) follow, each under a line of its own.
  if (logFile) {
    if (!serverLogs.has(logFile)) writeFileSync(logFile, '');
    serverLogs.add(logFile);
    appendFileSync(logFile, `=== ${name} started ${new Date().toISOString()}\n`);
  }
  const keep = (chunk) => {
    if (logFile) appendFileSync(logFile, chunk);
    text += chunk.toString();
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const started = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = ready.exec(text);
      if (match) {
        clearInterval(timer);
        resolve(match);
      }
    }, 25);
    exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${text.slice(-4000)}`));
    });
    setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${text.slice(-4000)}`));
    }, timeoutMs).unref();
  });
  return {
    child,
    started,
    output: () => text,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout')]);
      if (code === 'timeout') {
        say(`${name} did not stop within 30 s after SIGTERM: killing it`);
        child.kill('SIGKILL');
        return exited;
      }
      return code;
    },
  };
}

async function startBare(kind) {
  const file = join(tmp, `bare-${kind}.mjs`);
  writeFileSync(file, kind === 'uws' ? BARE_UWS : BARE_NODE);
  const args = kind === 'uws' ? [file, createRequire(join(ROOT, 'packages/edge/package.json')).resolve('uWebSockets.js')] : [file];
  const server = startPinned(`bare ${kind}`, args, { ready: /listening (\d+)(?: native=(\w+))?/ });
  const match = await server.started;
  if (kind === 'uws' && match[2] !== 'true') say('WARNING: bare uWebSockets.js runs its pure-JS fallback, not the native build');
  return { ...server, pid: server.child.pid, url: `http://127.0.0.1:${match[1]}` };
}

/**
 * Starts the edge (cli.js <command>, or the edge-only composition) and creates the "bench" source.
 * With `sourceFromApiRole` (the distributed targets) the source is created first by an `inflow api`
 * process of its own, stopped before the edge starts, as the Helm chart deploys the private API:
 * the edge measured then never opens Elasticsearch (it does on first use, e.g. a source created
 * through its own private API, which costs it about 8 MB of RSS).
 */
async function startInflow(name, nodeArgs, env, { sourceFromApiRole = false } = {}) {
  const dataDir = mkdtempSync(join(tmp, `${name}-`));
  // BENCH_NODE_ARGS, e.g. "--max-semi-space-size=2" or "--cpu-prof", applies to the Inflow targets only.
  const extra = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  const settings = {
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    INFLOW_DATA_DIR: dataDir,
    INFLOW_PUBLIC_PORT: '0',
    INFLOW_PRIVATE_PORT: '0',
    INFLOW_API_TOKEN: TOKEN,
    INFLOW_SERVE_DEMO: 'false',
    INFLOW_LOG_LEVEL: 'info',
    INFLOW_LOG_FORMAT: 'text',
    // Nothing may answer 503 because a long run filled the embedded queue.
    INFLOW_QUEUE_MAX_BACKLOG: '1000000000',
    ...env,
  };
  if (sourceFromApiRole) {
    const api = startPinned(`${name} (api role, creates the source)`, [CLI, 'api'], { env: { ...settings, INFLOW_HEALTH_PORT: '0' }, ready: /inflow started/ });
    await api.started;
    const privateUrl = /private API listening on (http:\/\/[^\s,]+)/.exec(api.output())?.[1];
    const problem = privateUrl ? await createBenchSource(privateUrl) : 'cannot find the private API address in its log';
    await api.stop();
    if (problem) throw new Error(`${name}: ${problem}`);
  }
  const server = startPinned(name, [...extra, ...nodeArgs], { env: settings, ready: /inflow started/ });
  await server.started;
  const text = server.output();
  const url = /public edge listening on (http:\/\/[^\s,]+)/.exec(text)?.[1];
  const privateUrl = /private API listening on (http:\/\/[^\s,]+)/.exec(text)?.[1];
  if (!url || !privateUrl) {
    await server.stop();
    throw new Error(`${name}: cannot find the listening addresses in its log:\n${text.slice(-3000)}`);
  }
  const problem = sourceFromApiRole ? undefined : await createBenchSource(privateUrl);
  if (problem) {
    await server.stop();
    throw new Error(`${name}: ${problem}`);
  }
  return { ...server, pid: server.child.pid, url, privateUrl };
}

/** A Prometheus text page (with a bearer token when given); undefined when it cannot be read within 5 s. */
async function metricsText(url, token) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  if (!response?.ok) return undefined;
  return response.text().catch(() => undefined);
}

/**
 * The edge's latency histograms (private API /metrics): requests answered on /track, and the
 * queue's publishes (hand-over to broker receipt). Undefined for a server without them (bare).
 */
async function latencyHistograms(server) {
  if (!server.privateUrl) return undefined;
  const text = await metricsText(`${server.privateUrl}/metrics`, TOKEN);
  if (text === undefined) return undefined;
  const read = (name, filter) => {
    const buckets = new Map();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || !filter.test(line)) continue;
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const count = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (le) buckets.set(le, (buckets.get(le) ?? 0) + count);
    }
    return buckets;
  };
  return { http: read('inflow_http_request_duration_seconds', /route="\/track"/), publish: read('inflow_queue_publish_duration_seconds', /./) };
}

/** Between two latencyHistograms: the share of /track answers and of publishes over 5 ms (and 10 ms). */
function tailShares(before, after) {
  const percent = (n) => `${(n * 100).toFixed(2)}%`;
  const share = (kind) => {
    const delta = (le) => (after[kind].get(le) ?? 0) - (before[kind].get(le) ?? 0);
    const all = delta('+Inf');
    if (all <= 0) return undefined;
    return `${all.toLocaleString('en-US')}, over 5 ms ${percent(1 - delta('0.005') / all)}, over 10 ms ${percent(1 - delta('0.01') / all)}`;
  };
  const http = share('http');
  const publish = share('publish');
  if (!http) return undefined;
  return `/track answers ${http}; publishes (hand-over to broker receipt) ${publish ?? 'none'}`;
}

/**
 * Pulsar's own view of the tail: `pulsar_broker_publish_latency` (ms, a summary the broker keeps
 * over its recent publishes), from when a message reaches the broker until it is stored.
 */
async function brokerPublishLatency() {
  if (!stackEnv?.INFLOW_PULSAR_URL) return undefined;
  const text = await metricsText(`${stackEnv.INFLOW_PULSAR_URL}/metrics/`, stackEnv.INFLOW_PULSAR_TOKEN);
  if (text === undefined) return undefined;
  const quantile = (q) => new RegExp(`^pulsar_broker_publish_latency\\{[^}]*quantile="${q}"[^}]*\\} (\\S+)`, 'm').exec(text)?.[1];
  const [p50, p99, p999] = [quantile('0.5'), quantile('0.99'), quantile('0.999')];
  return p99 === undefined ? undefined : `p50 ${Number(p50).toFixed(2)} ms, p99 ${Number(p99).toFixed(2)} ms, p99.9 ${Number(p999).toFixed(2)} ms`;
}

/** Creates the "bench" source through a private API; the problem, if it could not. */
async function createBenchSource(privateUrl) {
  const created = await fetch(`${privateUrl}/sources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'bench', name: 'Benchmark (edge-ceiling)' }),
  });
  if (created.status !== 201 && created.status !== 409) return `creating the source "bench" answered ${created.status}: ${await created.text()}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The services of the distributed engine

const SERVICES = ['redis', 'pulsar', 'elasticsearch'];
let stackEnv;

/**
 * Services that answer ("node scripts/stack.mjs status" says ready). Judged by readiness, not by
 * the pid it recorded: that can be a launcher that has exited while the service runs on.
 */
function runningServices() {
  const out = spawnSync(process.execPath, [STACK, 'status'], { encoding: 'utf8' }).stdout ?? '';
  return SERVICES.filter((name) => new RegExp(`^${name}\\s.*\\bready$`, 'm').test(out));
}

async function ensureStack() {
  if (stackEnv) return stackEnv;
  let running = runningServices();
  if (running.length > 0 && running.length < SERVICES.length) {
    // Someone else's stack, starting or restarting one service: never start services next to
    // it ("up" would empty the data of the one being restarted). Wait for it instead.
    say(`only ${running.join(', ')} of ${SERVICES.join(', ')} answer: another run is starting or restarting the stack; waiting up to 120 s`);
    const until = Date.now() + 120_000;
    while (running.length < SERVICES.length && Date.now() < until && !interrupted) {
      await sleep(3000);
      running = runningServices();
    }
    if (running.length < SERVICES.length) {
      throw new Error(`only ${running.join(', ') || 'none'} of ${SERVICES.join(', ')} answer after 120 s, and this script does not start services next to someone else's; rerun later, or with --no-pulsar`);
    }
  }
  if (running.length === SERVICES.length) {
    say('Redis, Pulsar and Elasticsearch are already running: using them and leaving them running (another run using them can disturb (d))');
  } else {
    say('starting Redis, Pulsar and Elasticsearch (none is running): node scripts/stack.mjs up');
    const result = spawnSync(process.execPath, [STACK, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
    // None answered before: what answers now (all, or what "up" started before it failed) is ours to stop.
    stackStartedByUs = result.status === 0 || runningServices().length > 0;
    if (result.status !== 0) {
      throw new Error(
        `node scripts/stack.mjs up failed (exit ${result.status ?? result.signal}). If it says a port is taken, ` +
          'another checkout (e.g. a fresh-clone check) holds the services: run with --no-pulsar, or again once it has finished',
      );
    }
  }
  stackEnv = Object.fromEntries(
    execFileSync(process.execPath, [STACK, 'env'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  if (PIN_SERVICES) pinServices(stackEnv);
  return stackEnv;
}

// ---------------------------------------------------------------------------------------------
// The services off the server's core: Pulsar, Elasticsearch and Redis run on another machine in
// a deployment. Left on every core, the broker (the busiest of them) took 20-30 % of the edge's
// core, by the scheduler's whim, and the edge's rows measured the broker as much as the edge.
// During the run they share wrk's core (wrk needs about 12 % of it); their affinity is given
// back to every core at the end, whatever happens.

/** Pinned services: pid and the affinity mask it had before, given back at the end. */
let pinned = [];
/** Whether the services ran pinned (for the report, after they are given back their cores). */
let servicesPinned = false;

/**
 * Pins every thread of the processes listening on the stack's ports to the client core. A stack
 * this run did not start is pinned too (its figures would be disturbed by another run anyway),
 * and every process gets back the mask it had.
 */
function pinServices(env) {
  const ports = ['INFLOW_REDIS_URL', 'INFLOW_PULSAR_URL', 'INFLOW_ELASTICSEARCH_URL']
    .map((name) => env[name])
    .filter(Boolean)
    .map((url) => Number(new URL(url).port))
    .filter((port) => port > 0);
  const pids = listeningPids(ports);
  if (pids.length === 0) {
    say('cannot find the processes of Pulsar, Elasticsearch and Redis: they stay on every core (--no-pin-services to silence)');
    return;
  }
  for (const pid of pids) {
    const mask = /affinity mask:\s*([0-9a-f]+)/i.exec(spawnSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }).stdout ?? '')?.[1];
    const result = mask ? spawnSync('taskset', ['-a', '-p', '-c', CLIENT_CORE, String(pid)], { encoding: 'utf8' }) : undefined;
    if (result?.status === 0) pinned.push({ pid, mask });
    else say(`cannot pin pid ${pid} to core ${CLIENT_CORE}: ${(result?.stderr || result?.error?.message || 'no affinity mask read').trim()}`);
  }
  servicesPinned = pinned.length > 0;
  say(`Pulsar, Elasticsearch and Redis (pids ${pinned.map(({ pid }) => pid).join(', ')}) pinned to core ${CLIENT_CORE} with wrk for this run (--no-pin-services: every core)`);
}

function unpinServices() {
  for (const { pid, mask } of pinned) {
    const result = spawnSync('taskset', ['-a', '-p', mask, String(pid)], { encoding: 'utf8' });
    // A service that stopped meanwhile has nothing to give back.
    if (result.status !== 0 && existsSync(`/proc/${pid}`)) say(`could not give pid ${pid} back its affinity (mask ${mask}): ${(result.stderr || result.error?.message || '').trim()}`);
  }
  pinned = [];
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Checks with one POST that the target accepts the payload with 201 (queue mode), never 4xx/5xx. */
async function verify(target, url, body) {
  const response = await fetch(`${url}/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`${target}: POST /track answered ${response.status}, not 201: ${text.slice(0, 500)}`);
  return text;
}

/** One wrk run pinned to the client core; samples the server's RSS and both processes' CPU. */
async function runWrk({ url, connections, seconds, script, scriptArgs = [], rate, serverPid }) {
  const binary = rate ? wrk2 : 'wrk';
  const args = [
    '-c', CLIENT_CORE, binary, '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s',
    ...(rate ? ['-R', String(Math.round(rate))] : []),
    '-s', script, `${url}/track`,
    ...(scriptArgs.length ? ['--', ...scriptArgs.map(String)] : []),
  ];
  const child = track(spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const t0 = performance.now();
  const cores0 = coreTicks();
  const serverCpu0 = cpuSeconds(serverPid) ?? 0;
  let peakRss = rssBytes(serverPid);
  let client;
  const sample = () => {
    peakRss = Math.max(peakRss, rssBytes(serverPid));
    const cpu = cpuSeconds(child.pid);
    if (cpu !== undefined) client = { first: client?.first ?? { cpu, at: performance.now() }, last: { cpu, at: performance.now() } };
  };
  const sampler = setInterval(sample, 100);
  sample();
  const code = await exited;
  clearInterval(sampler);
  const serverCpu = ((cpuSeconds(serverPid) ?? serverCpu0) - serverCpu0) / ((performance.now() - t0) / 1000);
  const cores1 = coreTicks();
  if (VERBOSE) process.stderr.write(out.replace(/^EDGE_CEILING .*$/m, '') + '\n');
  const line = /^EDGE_CEILING (\{.*\})$/m.exec(out);
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${out.slice(-3000)}`);
  const figures = JSON.parse(line[1]);
  const socketErrors = figures.connect + figures.read + figures.write + figures.timeout;
  const clientSpan = client ? (client.last.at - client.first.at) / 1000 : 0;
  return {
    connections,
    seconds: figures.duration_us / 1e6,
    requests: figures.requests,
    rps: figures.requests / (figures.duration_us / 1e6),
    p50: figures.p50_us / 1000,
    p90: figures.p90_us / 1000,
    p99: figures.p99_us / 1000,
    max: figures.max_us / 1000,
    mean: figures.mean_us / 1000,
    non2xx: figures.status,
    socketErrors,
    socketDetail: `connect ${figures.connect}, read ${figures.read}, write ${figures.write}, timeout ${figures.timeout}`,
    peakRss,
    serverCpu,
    clientCpu: clientSpan > 0.5 ? (client.last.cpu - client.first.cpu) / clientSpan : NaN,
    serverCoreBusy: coreBusy(cores0, cores1, SERVER_CORE),
    clientCoreBusy: coreBusy(cores0, cores1, CLIENT_CORE),
  };
}

const fmt = {
  rate: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'),
  ms: (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '-'),
  pct: (n) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '-'),
  mb: (n) => (Number.isFinite(n) ? (n / 1024 / 1024).toFixed(0) : '-'),
};

function brief(result) {
  const errors = result.non2xx + result.socketErrors;
  return `${fmt.rate(result.rps)} req/s, p50 ${fmt.ms(result.p50)} ms, p99 ${fmt.ms(result.p99)} ms, ${errors ? `${errors} ERRORS` : 'no errors'}`;
}

/** Half of the peak rate: wrk2 -R when installed, else paced wrk connections, else fewer connections. */
async function halfLoad(target, server, peak, scripts) {
  const goal = peak.rps / 2;
  if (HALF_MODE === 'paced' && !wrk2) return pacedLoad(target, server, goal, scripts, 'half load');
  if (wrk2) {
    say(`${target.key}: half load with wrk2 -R ${Math.round(goal)} for ${DURATION} s`);
    const result = await runWrk({ url: server.url, connections: CONNECTIONS, seconds: DURATION, script: scripts.plain, rate: goal, serverPid: server.pid });
    return { ...result, goal, how: `wrk2 -R ${Math.round(goal)}, ${CONNECTIONS} conns` };
  }
  if (HALF_MODE === 'connections') {
    let best;
    for (const connections of [1, 2, 4, 8, 16, 32, 64].filter((c) => c < CONNECTIONS)) {
      say(`${target.key}: half load search: ${connections} connection(s) for ${PROBE_SECONDS} s`);
      const probe = await runWrk({ url: server.url, connections, seconds: PROBE_SECONDS, script: scripts.plain, serverPid: server.pid });
      say(`${target.key}:   ${brief(probe)} (${fmt.pct(probe.rps / peak.rps)} of peak)`);
      if (!best || Math.abs(probe.rps - goal) < Math.abs(best.rps - goal)) best = probe;
      if (probe.rps > goal) break;
    }
    const connections = best?.connections ?? 1;
    say(`${target.key}: half load: ${connections} connection(s) for ${DURATION} s`);
    const result = await runWrk({ url: server.url, connections, seconds: DURATION, script: scripts.plain, serverPid: server.pid });
    return { ...result, goal, how: `${connections} conn(s), closed loop` };
  }
  throw new Error(`unknown --half ${HALF_MODE}`);
}

/**
 * About `goal` requests/s: rate = connections / (think time + latency), the mean think time
 * tuned on short probes (wrk stays closed loop; Debian has no wrk2).
 */
async function pacedLoad(target, server, goal, scripts, label) {
  let delay = (CONNECTIONS / goal) * 1000;
  for (let attempt = 1; attempt <= 4; attempt++) {
    say(`${target.key}: ${label} calibration ${attempt}: ${CONNECTIONS} connections, mean think time ${delay.toFixed(2)} ms, ${PROBE_SECONDS} s`);
    const probe = await runWrk({ url: server.url, connections: CONNECTIONS, seconds: PROBE_SECONDS, script: scripts.paced, scriptArgs: [delay.toFixed(3)], serverPid: server.pid });
    say(`${target.key}:   ${brief(probe)} (${fmt.pct(probe.rps / goal)} of the goal)`);
    if (Math.abs(probe.rps / goal - 1) <= 0.05 || probe.rps === 0) break;
    const cycle = (CONNECTIONS / probe.rps) * 1000; // ms per request and connection: think time + latency
    // At most halve or double per step: a probe disturbed by other load must not send it to 0.
    delay = Math.min(delay * 2, Math.max(delay / 2, delay + cycle * (probe.rps / goal - 1)));
  }
  say(`${target.key}: ${label}: ${CONNECTIONS} paced connections for ${DURATION} s`);
  const result = await runWrk({ url: server.url, connections: CONNECTIONS, seconds: DURATION, script: scripts.paced, scriptArgs: [delay.toFixed(3)], serverPid: server.pid });
  return { ...result, goal, how: `${CONNECTIONS} conns paced ~${delay.toFixed(1)} ms` };
}

async function measure(target, bodies, scripts) {
  say(`${target.key}: starting ${target.label}…`);
  const started = Date.now();
  const server = await target.start();
  say(`${target.key}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${server.url} (pid ${server.pid}, core ${SERVER_CORE})`);
  try {
    const answer = await verify(target.key, server.url, bodies[0]);
    say(`${target.key}: POST /track answers 201 ${answer.slice(0, 120)}`);
    if (target.key.startsWith('pulsar') && !brokerWarm && BROKER_WARMUP > 0) {
      say(`${target.key}: warming the broker up until its rate settles, at most ${BROKER_WARMUP} s (not counted; --broker-warmup 0 to skip)`);
      let previous = 0;
      for (let spent = 0; spent < BROKER_WARMUP && !interrupted; spent += 5) {
        const probe = await runWrk({ url: server.url, connections: CONNECTIONS, seconds: 5, script: scripts.plain, serverPid: server.pid });
        say(`${target.key}: warm-up ${spent + 5} s: ${Math.round(probe.rps).toLocaleString('en-US')} req/s`);
        if (previous > 0 && Math.abs(probe.rps - previous) <= 0.1 * previous) break;
        previous = probe.rps;
      }
      brokerWarm = true;
    }
    if (WARMUP > 0) {
      say(`${target.key}: warm-up ${WARMUP} s (not counted)`);
      await runWrk({ url: server.url, connections: CONNECTIONS, seconds: WARMUP, script: scripts.plain, serverPid: server.pid });
    }
    say(`${target.key}: measuring ${DURATION} s, ${CONNECTIONS} connections, wrk -t1 on core ${CLIENT_CORE}…`);
    const peak = await runWrk({ url: server.url, connections: CONNECTIONS, seconds: DURATION, script: scripts.plain, serverPid: server.pid });
    say(`${target.key}: ${brief(peak)}`);
    let after = 201;
    try {
      await verify(target.key, server.url, bodies[1]);
    } catch (error) {
      after = error.message;
    }
    const before = target.half && WITH_HALF ? await latencyHistograms(server) : undefined;
    const half = target.half && WITH_HALF ? await halfLoad(target, server, peak, scripts) : undefined;
    if (half) say(`${target.key}: half load ${brief(half)}`);
    const afterHalf = half && before ? await latencyHistograms(server) : undefined;
    if (afterHalf) {
      const tail = tailShares(before, afterHalf);
      if (tail) say(`${target.key}: half load, the edge's own count (half-load probes included): ${tail}`);
    }
    const broker = half && target.key.startsWith('pulsar') ? await brokerPublishLatency() : undefined;
    if (broker) say(`${target.key}: half load, the broker's own publish latency (its rolling summary): ${broker}`);
    // --cpu-rate R: the server's CPU per request at about R requests/s, the same rate for every
    // target (at peak a cost shows as req/s; below it, as CPU the same work takes).
    const fixed = CPU_RATE ? await pacedLoad(target, server, CPU_RATE, scripts, `${CPU_RATE} req/s`) : undefined;
    if (fixed) say(`${target.key}: at ${CPU_RATE} req/s ${brief(fixed)}, ${cpuPerRequest(fixed).toFixed(1)} µs CPU per request`);
    return { target, peak, half, fixed, after };
  } finally {
    say(`${target.key}: stopping`);
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

let wrk2;

async function main() {
  checkMachine();
  ensureWrk(say);
  wrk2 = findWrk2();
  tmp = mkdtempSync(join(tmpdir(), 'inflow-edge-ceiling-'));
  const bodies = trackBodies();
  const scripts = { plain: join(tmp, 'wrk-post.lua'), paced: join(tmp, 'wrk-post-paced.lua') };
  writeFileSync(scripts.plain, wrkScript(bodies, false));
  writeFileSync(scripts.paced, wrkScript(bodies, true));
  const sizes = bodies.map((body) => Buffer.byteLength(body));
  const avgBytes = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
  say(`payloads: ${bodies.length} distinct /track bodies, ${Math.min(...sizes)}-${Math.max(...sizes)} bytes (${avgBytes} on average), 1-2 events, options.queue = true`);

  const unique = `ceil${Date.now().toString(36)}`;
  const targets = [
    { key: 'bare-uws', label: 'bare uWebSockets.js (JSON.parse, 201)', start: () => startBare('uws') },
    { key: 'bare-node', label: 'bare node:http (JSON.parse, 201)', start: () => startBare('node') },
    {
      key: 'embedded',
      label: 'inflow run, embedded engine (edge + collector in one process)',
      half: true,
      start: () => startInflow('embedded', [CLI, 'run'], { INFLOW_ENGINE: 'embedded' }),
    },
    ...(WITH_EDGE_ONLY
      ? [{
          key: 'embedded-edge',
          label: 'edge role only, embedded engine (nothing consumes the queue)',
          start: () => startInflow('embedded-edge', ['--input-type=module', '-e', EDGE_ONLY, pathToFileURL(APP_INDEX).href, pathToFileURL(CORE_INDEX).href], { INFLOW_ENGINE: 'embedded' }),
        },
        {
          // INFLOW_HTTP_SERVER=node (for HTTP/1.0 clients and pipelining): what it costs against the row above.
          key: 'embedded-edge-node',
          label: 'the same on node:http (INFLOW_HTTP_SERVER=node)',
          start: () =>
            startInflow('embedded-edge-node', ['--input-type=module', '-e', EDGE_ONLY, pathToFileURL(APP_INDEX).href, pathToFileURL(CORE_INDEX).href], {
              INFLOW_ENGINE: 'embedded',
              INFLOW_HTTP_SERVER: 'node',
            }),
        },
        {
          // The cost of metrics and the trace (issue 11's target: under 5 %), against the row above.
          key: 'embedded-edge-dark',
          label: `the same, with ${Object.entries(DARK_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`,
          start: () =>
            startInflow('embedded-edge-dark', ['--input-type=module', '-e', EDGE_ONLY, pathToFileURL(APP_INDEX).href, pathToFileURL(CORE_INDEX).href], {
              INFLOW_ENGINE: 'embedded',
              ...DARK_ENV,
            }),
        }]
      : []),
    ...(WITH_PULSAR
      ? [{
          key: 'pulsar',
          label: 'inflow edge, distributed engine (Pulsar; no collector running)',
          half: true,
          start: async () =>
            startInflow('pulsar', [CLI, 'edge'], {
              ...(await ensureStack()),
              INFLOW_ENGINE: 'distributed',
              INFLOW_TENANT: unique,
              INFLOW_STORAGE_PREFIX: unique,
            }, { sourceFromApiRole: true }),
        },
        {
          key: 'pulsar-dark',
          label: `the same, with ${Object.entries(DARK_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`,
          start: async () =>
            startInflow('pulsar-dark', [CLI, 'edge'], {
              ...(await ensureStack()),
              INFLOW_ENGINE: 'distributed',
              INFLOW_TENANT: `${unique}d`,
              INFLOW_STORAGE_PREFIX: `${unique}d`,
              ...DARK_ENV,
            }, { sourceFromApiRole: true }),
        }]
      : []),
  ];

  // With --rounds N the targets run in turn N times (neighbours in time compare best on a noisy
  // box); each target's row is its median round, and the on/off ratios are given per round.
  const rounds = [];
  for (let round = 1; round <= ROUNDS && !interrupted; round++) {
    if (ROUNDS > 1) say(`round ${round} of ${ROUNDS}`);
    const results = [];
    for (const target of targets.filter((t) => !ONLY || ONLY.includes(t.key))) {
      if (interrupted) break;
      try {
        results.push(await measure(target, bodies, scripts));
      } catch (error) {
        say(`${target.key}: FAILED: ${error.message}`);
        results.push({ target, failed: error.message.split('\n')[0] });
      }
    }
    rounds.push(results);
  }
  if (interrupted) return 130;
  const results = rounds.length === 1 ? rounds[0] : medianRounds(rounds);
  report(results, avgBytes);
  reportFixedRate(results);
  if (rounds.length > 1) reportRounds(rounds);
  const bad = results.filter((r) => r.failed || [r.peak, r.half, r.fixed].some((m) => m && m.non2xx + m.socketErrors > 0));
  return bad.length > 0 ? 1 : 0;
}

/** Per target, the round with its median req/s (the upper middle of an even count; a failure in any round is shown). */
function medianRounds(rounds) {
  return rounds[0].map((first, i) => {
    const all = rounds.map((results) => results[i]);
    const failed = all.find((r) => r.failed);
    if (failed) return failed;
    return [...all].sort((a, b) => a.peak.rps - b.peak.rps)[Math.floor(all.length / 2)];
  });
}

const ON_OFF = [['embedded-edge', 'embedded-edge-dark', 'edge metrics+trace on/off'], ['pulsar', 'pulsar-dark', 'Pulsar edge metrics+trace on/off']];

/** Server CPU (both its threads) per answered request, in µs. */
const cpuPerRequest = (m) => (m.rps > 0 ? (m.serverCpu * 1e6) / m.rps : NaN);

/** The on/off ratios of each round (req/s at peak; CPU per request at --cpu-rate), and their median. */
function reportRounds(rounds) {
  for (const [on, off, label] of ON_OFF) {
    const pairs = rounds
      .map((results) => [results.find((r) => r.target.key === on && !r.failed), results.find((r) => r.target.key === off && !r.failed)])
      .filter(([a, b]) => a && b);
    if (pairs.length === 0) continue;
    const ratios = pairs.map(([a, b]) => a.peak.rps / b.peak.rps);
    process.stdout.write(`${label} per round: ${ratios.map((r) => r.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)}x)\n`);
    const cpu = pairs.filter(([a, b]) => a.fixed && b.fixed).map(([a, b]) => cpuPerRequest(a.fixed) / cpuPerRequest(b.fixed));
    if (cpu.length > 0) process.stdout.write(`${label}, CPU per request at ~${CPU_RATE} req/s, per round: ${cpu.map((r) => r.toFixed(3)).join(' ')} (median ${median(cpu).toFixed(3)}x)\n`);
  }
}

/** Each target's CPU per request at about the same rate. */
function reportFixedRate(results) {
  const out = (line = '') => process.stdout.write(line + '\n');
  const measured = results.filter((r) => r.fixed);
  if (measured.length === 0) return;
  out();
  out(`CPU per request at about ${CPU_RATE} req/s (paced wrk; server CPU of all its threads)`);
  for (const r of measured) out(`${r.target.key.padEnd(20)} ${fmt.rate(r.fixed.rps).padStart(8)} req/s  srv CPU ${fmt.pct(r.fixed.serverCpu).padStart(5)}  ${cpuPerRequest(r.fixed).toFixed(1).padStart(7)} µs/request  p99 ${fmt.ms(r.fixed.p99)} ms`);
  for (const [on, off, label] of ON_OFF) {
    const a = measured.find((r) => r.target.key === on);
    const b = measured.find((r) => r.target.key === off);
    if (a && b) out(`ratio ${label}: CPU per request ${(cpuPerRequest(a.fixed) / cpuPerRequest(b.fixed)).toFixed(3)}x`);
  }
}

/** CPU of each pinned core used by anything but the process pinned there (other tenants, the broker, this script). */
const others = (m) => ({ server: Math.max(0, m.serverCoreBusy - m.serverCpu), client: Math.max(0, m.clientCoreBusy - m.clientCpu) });

function report(results, avgBytes) {
  const out = (line = '') => process.stdout.write(line + '\n');
  out();
  out(`POST /track (queue mode), ${avgBytes}-byte bodies; wrk -t1 -c${CONNECTIONS} -d${DURATION}s on core ${CLIENT_CORE} after a ${WARMUP} s warm-up; server on core ${SERVER_CORE}; Node ${process.versions.node}, ${cpus()[0]?.model ?? '?'}`);
  const head = ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'sock err', 'peak RSS MB', 'srv CPU', 'wrk CPU', 'others c0', 'others c1'];
  const widths = [19, 10, 8, 8, 8, 9, 12, 8, 8, 10, 10];
  const row = (cells) => cells.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join(' ');
  out(row(head));
  for (const r of results) {
    const p = r.peak;
    if (r.failed) out(row([r.target.key, 'FAILED', '', '', '', '', '', '', '', '', '']));
    else out(row([r.target.key, fmt.rate(p.rps), fmt.ms(p.p50), fmt.ms(p.p99), p.non2xx, p.socketErrors, fmt.mb(p.peakRss), fmt.pct(p.serverCpu), fmt.pct(p.clientCpu), fmt.pct(others(p).server), fmt.pct(others(p).client)]));
  }
  const get = (key) => results.find((r) => r.target.key === key && !r.failed)?.peak;
  const ratio = (a, b, label) => {
    const x = get(a);
    const y = get(b);
    if (x && y) out(`ratio ${label}: req/s ${(x.rps / y.rps).toFixed(2)}x, p99 ${(x.p99 / y.p99).toFixed(2)}x`);
  };
  out();
  ratio('embedded', 'bare-uws', 'embedded/bare-uWS  ');
  ratio('embedded-edge', 'bare-uws', 'edge-only/bare-uWS ');
  ratio('embedded', 'embedded-edge', 'embedded/edge-only ');
  ratio('embedded-edge-node', 'embedded-edge', 'node:http/uWS edge ');
  ratio('embedded-edge', 'embedded-edge-dark', 'edge metrics+trace on/off');
  ratio('pulsar', 'pulsar-dark', 'Pulsar edge metrics+trace on/off');
  ratio('bare-node', 'bare-uws', 'bare-node/bare-uWS ');
  ratio('pulsar', 'embedded', 'pulsar/embedded    ');
  ratio('pulsar', 'embedded-edge', 'pulsar/edge-only   ');

  const halves = results.filter((r) => r.half);
  if (halves.length) {
    out();
    out(`half load (${wrk2 ? 'wrk2 fixed rate' : HALF_MODE === 'paced' ? 'wrk with a random think time per connection: ~fixed rate, still closed loop' : 'fewer wrk connections: closed loop'})`);
    const hw = [14, 10, 10, 8, 8, 8, 8, 26];
    const hrow = (cells) => cells.map((cell, i) => (i === 0 || i === 7 ? String(cell).padEnd(hw[i]) : String(cell).padStart(hw[i]))).join(' ');
    out(hrow(['target', 'goal/s', 'req/s', 'of peak', 'p50 ms', 'p99 ms', 'errors', 'how']));
    for (const r of halves) {
      out(hrow([r.target.key, fmt.rate(r.half.goal), fmt.rate(r.half.rps), fmt.pct(r.half.rps / r.peak.rps), fmt.ms(r.half.p50), fmt.ms(r.half.p99), r.half.non2xx + r.half.socketErrors, r.half.how]));
    }
  }

  const notes = [];
  for (const r of results) {
    if (r.failed) {
      notes.push(`!!! ${r.target.key} FAILED, not measured: ${r.failed}`);
      continue;
    }
    for (const [phase, m] of [['peak', r.peak], ['half load', r.half]]) {
      if (!m) continue;
      if (m.non2xx + m.socketErrors > 0) {
        notes.push(`!!! ${r.target.key} (${phase}): ${m.non2xx} non-2xx responses and ${m.socketErrors} socket errors (${m.socketDetail}) out of ${m.requests}: ITS FIGURES ARE NOT VALID`);
      }
      const other = others(m);
      // With the services pinned to wrk's core, that core's other load is theirs: only a full core (wrk starved) disturbs.
      const clientDisturbed = servicesPinned && r.target.key.startsWith('pulsar') ? other.client + m.clientCpu > 0.95 : other.client > 0.2;
      if (other.server > 0.1 || clientDisturbed) {
        const who = r.target.key.startsWith('pulsar') && !servicesPinned ? 'other processes (the unpinned broker, Redis and Elasticsearch among them)' : 'other processes';
        notes.push(`!!! ${r.target.key} (${phase}): ${who} used ${fmt.pct(other.server)} of core ${SERVER_CORE} and ${fmt.pct(other.client)} of core ${CLIENT_CORE}: its figures are disturbed`);
      }
    }
    if (r.half && Math.abs(r.half.rps / r.peak.rps - 0.5) > 0.1) {
      notes.push(`!!! ${r.target.key}: the half-load run reached ${fmt.pct(r.half.rps / r.peak.rps)} of the peak, not 50%: compare its p99 with care`);
    }
    if (r.after !== 201) notes.push(`!!! ${r.target.key}: after the run POST /track no longer answers 201: ${r.after}`);
    if (r.peak.clientCpu > 0.9 && r.peak.serverCpu < 0.9) notes.push(`!!! ${r.target.key}: wrk used ${fmt.pct(r.peak.clientCpu)} of its core and the server only ${fmt.pct(r.peak.serverCpu)}: this is the CLIENT's ceiling, not the server's`);
  }
  if (results.some((r) => r.target.key === 'pulsar' && !r.failed)) {
    notes.push(
      servicesPinned
        ? `note: Pulsar, Elasticsearch and Redis ran on core ${CLIENT_CORE} with wrk ("others c1" is mostly the broker), off the server's core`
        : 'note: Pulsar, Elasticsearch and Redis were not pinned: in (d) the broker competed with the edge and wrk for both cores',
    );
  }
  if (notes.length) {
    out();
    for (const note of notes) out(note);
  }
}

let code = 1;
try {
  code = await main();
} catch (error) {
  say(`failed: ${error.stack ?? error.message}`);
} finally {
  await cleanUp();
}
process.exit(interrupted ? 130 : code);
