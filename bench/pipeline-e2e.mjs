#!/usr/bin/env node
// End-to-end throughput: events/s from the first POST /track until every event is stored and
// searchable, and the steady-state rate (the first 10% of stored events are warm-up and left
// out). Runs the distributed engine (the edge and --collectors collectors as separate
// processes on Pulsar, Elasticsearch and Redis) and, as the baseline in the same run, the
// embedded engine (one process, SQLite).
// Before each engine's measured run, a warm-up run of --warmup requests (not counted, its own
// tenant and data) lets the JVMs of Pulsar and Elasticsearch compile their hot paths, as they have
// after their first minutes in production: measured, Elasticsearch spent 130-150 µs of CPU per
// event in a run right after its start, 90 after 100,000 events, 40-47 after 400,000. The
// embedded engine gets the same warm-up, for symmetry.
// Usage: node bench/pipeline-e2e.mjs [--requests 150000] [--connections 256] [--collectors 1] [--only distributed|embedded]
//        [--rules N] [--workflow] [--warmup 100000] [--profiles 2000] [--sessions 3000] [--loadgen wrk|autocannon]
// The requests are posted by wrk (Debian's package, installed when missing): about 15 µs of CPU a
// request (7-8 an event), where autocannon (--loadgen autocannon, the figures before the
// twenty-second session) took about 46 of the same two cores the pipeline runs on.
// Requests go round --profiles profiles and --sessions sessions: with fewer of them each profile
// and session counts more events, and past 256 its every write carries a full dedup window.
// --rules N defines N simple active rules first (trigger page-view, a condition, an increment), so
// that the collector routes every page-view to the workflow topic: the distributed figures are
// then the collector's throughput with rules active. --workflow also starts a workflow role (on
// this 2-core box it competes with everything else; in production it runs on its own nodes).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { cpuSeconds, listeningPids } from './support/processes.mjs';
import { optionArgs, requirePositiveWholeNumbers } from './support/args.mjs';
import { postWithWrk } from './support/wrk.mjs';

const args = optionArgs();
const REQUESTS = Number(args.requests ?? 150000);
const COLLECTORS = Number(args.collectors ?? 1);
const CONNECTIONS = Number(args.connections ?? 256);
const RULES = Number(args.rules ?? 0);
const WARMUP = Number(args.warmup ?? 100000);
const PROFILES = Number(args.profiles ?? 2000);
const SESSIONS = Number(args.sessions ?? 3000);
const LOADGEN = args.loadgen ?? 'wrk';
if (LOADGEN !== 'wrk' && LOADGEN !== 'autocannon') throw new Error(`--loadgen must be wrk or autocannon (got ${LOADGEN})`);
requirePositiveWholeNumbers({ profiles: PROFILES, sessions: SESSIONS });
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error(`--warmup must be a whole number (got ${args.warmup})`);
const WITH_WORKFLOW = process.argv.includes('--workflow');
const EVENTS_PER_REQUEST = 2;
const CLI = fileURLToPath(new URL('../packages/app/dist/cli.js', import.meta.url));
const STACK = fileURLToPath(new URL('../scripts/stack.mjs', import.meta.url));
const TOKEN = 'bench-token-0123456789';
const say = (line) => process.stderr.write(`[e2e] ${line}\n`);

function start(role, env) {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the roles.
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, CLI, role], { env: { ...process.env, INFLOW_API_TOKEN: TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const failed = (code) => {
      clearInterval(timer);
      reject(new Error(`${role} exited with ${code}:\n${out}`));
    };
    const timer = setInterval(() => {
      if (!/inflow started/.test(out)) return;
      clearInterval(timer);
      child.off('exit', failed);
      resolve({ child, out: () => out });
    }, 50);
    child.on('exit', failed);
  });
}

async function run(name, engineEnv, roles, countStored, requests = REQUESTS) {
  const dir = mkdtempSync(join(tmpdir(), `inflow-e2e-${name}-`));
  const env = { INFLOW_DATA_DIR: dir, INFLOW_PUBLIC_PORT: '18686', INFLOW_PRIVATE_PORT: '18687', INFLOW_SERVE_DEMO: 'true', ...engineEnv };
  say(`${name}: starting ${roles.join(', ')}`);
  const processes = [];
  for (const role of roles) processes.push(await start(role, env));
  if (RULES > 0) {
    try {
      await defineRules(RULES);
    } catch (error) {
      for (const p of processes) p.child.kill('SIGTERM');
      throw error;
    }
  }
  const cpu = cpuMeter(processes.map((p, n) => ({ name: roles[n], pid: p.child.pid })), name === 'distributed' ? serviceEnv : {});
  const t0 = Date.now();
  say(`${name}: posting ${requests} requests (${requests * EVENTS_PER_REQUEST} events) with ${CONNECTIONS} connections (${LOADGEN})`);
  const result = await (LOADGEN === 'wrk' ? postByWrk : postByAutocannon)(name, requests);
  const postedMs = Date.now() - t0;
  const { accepted } = result;
  say(`${name}: ${accepted} accepted (${result.refused} refused) in ${(postedMs / 1000).toFixed(1)} s; waiting until all are stored`);
  const expected = accepted * EVENTS_PER_REQUEST;
  let stored = 0;
  let lastSaid = Date.now();
  let warm;
  while (stored < expected) {
    await new Promise((r) => setTimeout(r, 500));
    stored = await countStored(env);
    if (!warm && stored >= expected * 0.1) warm = { at: Date.now(), stored };
    if (Date.now() - lastSaid > 3000) {
      lastSaid = Date.now();
      say(`${name}: ${stored}/${expected} stored…`);
    }
    if (Date.now() - t0 > 900_000) throw new Error(`${name}: only ${stored}/${expected} stored after 15 minutes`);
  }
  const totalMs = Date.now() - t0;
  const cpuUsed = cpu.used(result.cpuSeconds);
  const steadyEps = warm && Date.now() > warm.at ? (stored - warm.stored) / ((Date.now() - warm.at) / 1000) : expected / (totalMs / 1000);
  for (const p of processes) p.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  processes.forEach((p, n) => writeFileSync(join(dir, `${roles[n]}-${n}.log`), p.out()));
  say(`${name}: process logs in ${dir}`);
  return { name, accepted, expected, postedMs, totalMs, ingestRps: accepted / (postedMs / 1000), e2eEps: expected / (totalMs / 1000), steadyEps, p99: result.p99Ms, cpuUsed };
}

/** One request's body: request n of the run `name` (events `${name}-${n}-${j}`), as both load generators build it. */
function trackBody(name, n, time) {
  return JSON.stringify({
    source: { id: 'demo' },
    profile: { id: `p-${n % PROFILES}` },
    session: { id: `s-${n % SESSIONS}` },
    context: { page: { url: `https://shop.example/p/${n % 50}`, title: 'Product' } },
    events: Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => ({ id: `${name}-${n}-${j}`, type: j ? 'product-view' : 'page-view', time, properties: { sku: `SKU-${n % 300}` } })),
    options: { queue: true },
  });
}

async function postByAutocannon(name, requests) {
  let i = 0;
  const result = await autocannon({
    url: 'http://127.0.0.1:18686/track',
    connections: CONNECTIONS,
    amount: requests,
    requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (r) => ({ ...r, body: trackBody(name, i++, new Date().toISOString()) }) }],
  });
  return { accepted: result['2xx'], refused: result.non2xx, p99Ms: result.latency.p99, cpuSeconds: 0 };
}

/** The same bodies as trackBody, built in wrk's Lua (times to the second). */
async function postByWrk(name, requests) {
  const q = (text) => JSON.stringify(text).slice(1, -1).replace(/%/g, '%%');
  // trackBody's JSON as a Lua string.format of n (the request's number) and now (its second, ISO-8601).
  const luaBody = `string.format('{"source":{"id":"demo"},"profile":{"id":"p-%d"},"session":{"id":"s-%d"},"context":{"page":{"url":"https://shop.example/p/%d","title":"Product"}},"events":[${Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => `{"id":"${q(name)}-%d-${j}","type":"${j ? 'product-view' : 'page-view'}","time":"%s","properties":{"sku":"SKU-%d"}}`).join(',')}],"options":{"queue":true}}', n % ${PROFILES}, n % ${SESSIONS}, n % 50${', n, now, n % 300'.repeat(EVENTS_PER_REQUEST)})`;
  const result = await postWithWrk({ url: 'http://127.0.0.1:18686', connections: CONNECTIONS, requests, luaBody, say });
  return { accepted: result.accepted, refused: result.refused + result.errors, p99Ms: result.p99Ms, cpuSeconds: result.cpuSeconds };
}

/**
 * CPU seconds each process used from now until used() is called: the roles, the services
 * (found by the ports of their URLs in `services`) and this process (the load generator).
 */
function cpuMeter(roles, services) {
  const named = [...roles];
  for (const [service, variable] of [['pulsar', 'INFLOW_PULSAR_URL'], ['elasticsearch', 'INFLOW_ELASTICSEARCH_URL'], ['redis', 'INFLOW_REDIS_URL']]) {
    if (!services[variable]) continue;
    for (const pid of listeningPids([Number(new URL(services[variable]).port)])) named.push({ name: service, pid });
  }
  const before = named.map(({ pid }) => cpuSeconds(pid) ?? 0);
  const ownBefore = process.cpuUsage();
  return {
    /** `loadgenSeconds`: a load generator's own process (wrk), beside this one's. */
    used(loadgenSeconds = 0) {
      const own = process.cpuUsage(ownBefore);
      const rows = named.map(({ name, pid }, n) => ({ name, seconds: (cpuSeconds(pid) ?? before[n]) - before[n] }));
      rows.push({ name: 'load generator', seconds: (own.user + own.system) / 1e6 + loadgenSeconds });
      return rows;
    },
  };
}


/** Rules as bench/stages.mjs defines them, then a wait until every role has read them. */
async function defineRules(count) {
  for (let r = 0; r < count; r++) {
    const response = await fetch('http://127.0.0.1:18687/rules', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `rule-${r}`, trigger: { eventTypes: ['page-view'] }, condition: { field: 'event.properties.sku', op: 'ne', value: `never-${r}` }, actions: [{ type: 'increment', trait: `r${r % 10}` }] }),
    });
    if (response.status !== 201) throw new Error(`rule ${r}: ${response.status} ${await response.text()}`);
  }
  say(`${count} rules defined`);
  await new Promise((r) => setTimeout(r, 1000));
}

say('starting Redis, Pulsar and Elasticsearch');
execFileSync(process.execPath, [STACK, 'up'], { stdio: 'inherit' });
const serviceEnv = Object.fromEntries(execFileSync(process.execPath, [STACK, 'env']).toString().trim().split('\n').map((l) => l.split('=')));
const only = args.only;
const runBase = `bench${Date.now().toString(36)}`;
const distributedRun = (name, requests) => {
  const unique = `${runBase}${name.endsWith('-warmup') ? 'w' : ''}`;
  return run(
    name,
    { ...serviceEnv, INFLOW_ENGINE: 'distributed', INFLOW_TENANT: unique, INFLOW_STORAGE_PREFIX: unique, INFLOW_PULSAR_PARTITIONS: '2', INFLOW_DESTINATION_REFRESH_MS: '200' },
    ['edge', ...Array.from({ length: COLLECTORS }, () => 'collector'), ...(WITH_WORKFLOW ? ['workflow'] : [])],
    async (env) => {
      const es = env.INFLOW_ELASTICSEARCH_URL;
      // No forced refresh: "searchable" means after Elasticsearch's own one-second refresh.
      const body = await (await fetch(`${es}/${unique}-events-*/_count`)).json();
      return body.count ?? 0;
    },
    requests,
  );
};
const embeddedRun = (name, requests) =>
  run(
    name,
    { INFLOW_ENGINE: 'embedded', INFLOW_DESTINATION_REFRESH_MS: '200' },
    ['run'],
    async (env) => {
      const db = new Database(join(env.INFLOW_DATA_DIR, 'store.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT COUNT(*) AS n FROM events').get().n;
      } finally {
        db.close();
      }
    },
    requests,
  );
/** The warm-up run (reported on one line, not counted), then the measured one. */
async function measured(name, runOf) {
  if (WARMUP > 0) {
    const warmup = await runOf(`${name}-warmup`, WARMUP);
    say(`${name}: warm-up done, ${warmup.e2eEps.toFixed(0)} events/s (not counted)`);
  }
  return runOf(name, REQUESTS);
}
const distributed = only === 'embedded' ? undefined : await measured('distributed', distributedRun);
const embedded = only === 'distributed' ? undefined : await measured('embedded', embeddedRun);

const row = (r) => `${r.name.padEnd(12)} ${String(r.expected).padStart(8)} ${r.ingestRps.toFixed(0).padStart(10)} ${(r.postedMs / 1000).toFixed(1).padStart(9)} ${(r.totalMs / 1000).toFixed(1).padStart(9)} ${r.e2eEps.toFixed(0).padStart(10)} ${r.steadyEps.toFixed(0).padStart(10)} ${String(r.p99).padStart(7)}`;
console.log(`\nend to end, ${REQUESTS} queued requests x ${EVENTS_PER_REQUEST} events (after ${WARMUP} warm-up requests) over ${PROFILES} profiles and ${SESSIONS} sessions, ${CONNECTIONS} connections, ${COLLECTORS} collectors (distributed)${RULES ? `, ${RULES} active rules${WITH_WORKFLOW ? ' and a workflow role' : ' (no workflow role: the collector routes)'}` : ''}, Node ${process.versions.node}`);
console.log(`${'engine'.padEnd(12)} ${'events'.padStart(8)} ${'post req/s'.padStart(10)} ${'posted s'.padStart(9)} ${'stored s'.padStart(9)} ${'events/s'.padStart(10)} ${'steady/s'.padStart(10)} ${'p99 ms'.padStart(7)}`);
for (const r of [distributed, embedded]) if (r) console.log(row(r));
for (const r of [distributed, embedded]) {
  if (!r) continue;
  const total = r.cpuUsed.reduce((sum, row) => sum + row.seconds, 0);
  const parts = [...r.cpuUsed].sort((a, b) => b.seconds - a.seconds).map((row) => `${row.name} ${((row.seconds / r.expected) * 1e6).toFixed(0)}`);
  console.log(`${r.name} CPU per event, µs: ${((total / r.expected) * 1e6).toFixed(0)} in all (${parts.join(', ')}); ${total.toFixed(1)} CPU s over ${(r.totalMs / 1000).toFixed(1)} s`);
}
if (distributed && embedded) {
  console.log(`ratio distributed/embedded end-to-end events/s: ${(distributed.e2eEps / embedded.e2eEps).toFixed(2)}x, steady state: ${(distributed.steadyEps / embedded.steadyEps).toFixed(2)}x`);
}
if (process.env.INFLOW_STACK_KEEP !== '1') execFileSync(process.execPath, [STACK, 'down'], { stdio: 'inherit' });
