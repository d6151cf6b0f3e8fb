#!/usr/bin/env node
// Cost of the stages after the collector, on the embedded engine (`inflow run`: edge, collector,
// workflow and dispatch in one process), each scenario a fresh process on fresh data, same load:
//   (a) collection alone (no rules, no destinations)                     baseline
//   (b) collection with N simple active rules (each: trigger page-view, a condition, an increment)
//   (c) dispatch: one webhook destination for every event, to a local receiver answering 200
// Events/s are counted from the first POST until every event is stored (and, for (b), until the
// workflow queue is empty; for (c), until the receiver has every event once).
// Usage: node bench/stages.mjs [--requests 20000] [--rules 50] [--connections 64] [--rounds 1] [--no-dispatch]
// With --rounds N, (a) and (b) alternate N times and the round with the median ratio is shown.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { median } from './support/median.mjs';
import { optionArgs } from './support/args.mjs';

const args = optionArgs();
const REQUESTS = Number(args.requests ?? 20000);
const RULES = Number(args.rules ?? 50);
const CONNECTIONS = Number(args.connections ?? 64);
const ROUNDS = Number(args.rounds ?? 1);
const NO_DISPATCH = process.argv.includes('--no-dispatch');
const EVENTS_PER_REQUEST = 2;
const CLI = fileURLToPath(new URL('../packages/app/dist/cli.js', import.meta.url));
const TOKEN = 'bench-token-0123456789';
const PUBLIC = 'http://127.0.0.1:18786';
const PRIVATE = 'http://127.0.0.1:18787';
const say = (line) => process.stderr.write(`[stages] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startInflow(dir) {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles each scenario's process.
  const extra = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...extra, CLI, 'run'], {
    env: { ...process.env, INFLOW_DATA_DIR: dir, INFLOW_PUBLIC_PORT: '18786', INFLOW_PRIVATE_PORT: '18787', INFLOW_API_TOKEN: TOKEN, INFLOW_SERVE_DEMO: 'true', INFLOW_DESTINATION_REFRESH_MS: '200', INFLOW_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  for (let waited = 0; !(await fetch(`${PUBLIC}/readyz`).then((r) => r.ok, () => false)); waited += 100) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`inflow did not start:\n${out}`);
    await sleep(100);
  }
  return { child, out: () => out };
}

const api = (path, body) =>
  fetch(PRIVATE + path, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });

async function scenario(name, prepare, done) {
  const dir = mkdtempSync(join(tmpdir(), `inflow-stages-${name}-`));
  const inflow = await startInflow(dir);
  try {
    await prepare();
    await sleep(600); // every stage sees the definitions
    let i = 0;
    const body = () => {
      const n = i++;
      return JSON.stringify({
        source: { id: 'demo' },
        profile: { id: `p-${n % 2000}` },
        session: { id: `s-${n % 3000}` },
        events: Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => ({ id: `${name}-${n}-${j}`, type: 'page-view', properties: { sku: `SKU-${n % 300}`, j } })),
        options: { queue: true },
      });
    };
    say(`${name}: posting ${REQUESTS} requests (${REQUESTS * EVENTS_PER_REQUEST} events)`);
    const t0 = Date.now();
    // The pipeline is watched while the load runs: autocannon resolves on its own one-second
    // tick, so timing its end would round every scenario up to whole seconds.
    let posted;
    const posting = autocannon({ url: `${PUBLIC}/track`, connections: CONNECTIONS, amount: REQUESTS, requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (r) => ({ ...r, body: body() }) }] }).then((result) => (posted = result));
    // Watched at once: a failure surfaces where `posting` is awaited, never as an unhandled rejection.
    posting.catch(() => {});
    let lastSaid = Date.now();
    let storedAt;
    for (;;) {
      // Until autocannon has answered, every request is expected to be accepted (checked below).
      const expected = (posted ? posted['2xx'] : REQUESTS) * EVENTS_PER_REQUEST;
      const progress = await done(dir, expected);
      // When the collector had stored every event (with rules, the workflow may still be at work).
      if (storedAt === undefined && (progress === true || storedEvents(dir) >= expected)) storedAt = Date.now();
      if (progress === true) break;
      if (Date.now() - lastSaid > 3000) {
        lastSaid = Date.now();
        say(`${name}: ${progress}`);
      }
      if (Date.now() - t0 > 900_000) throw new Error(`${name}: not done after 15 minutes (${progress})`);
      await sleep(50);
    }
    const seconds = (Date.now() - t0) / 1000;
    await posting;
    if (posted['2xx'] !== REQUESTS) throw new Error(`${name}: ${REQUESTS - posted['2xx']} of ${REQUESTS} requests were not accepted (${posted.non2xx} non-2xx, ${posted.errors} errors)`);
    const events = REQUESTS * EVENTS_PER_REQUEST;
    return { name, events, seconds, eps: events / seconds, storedEps: events / ((storedAt - t0) / 1000) };
  } finally {
    inflow.child.kill('SIGTERM');
    await new Promise((resolve) => inflow.child.once('exit', resolve));
    // BENCH_LOG_LEVEL=info BENCH_LOG_DIR=/tmp/stages keeps each scenario's log (its stage lines).
    if (process.env.BENCH_LOG_DIR) writeFileSync(join(process.env.BENCH_LOG_DIR, `${name}-${Date.now()}.log`), inflow.out());
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One number from the scenario's store (a query answering `n`). */
function fromStore(dir, sql) {
  const db = new Database(join(dir, 'store.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).get().n;
  } finally {
    db.close();
  }
}

const storedEvents = (dir) => fromStore(dir, 'SELECT COUNT(*) AS n FROM events');

async function workflowBacklog() {
  const response = await api('/queue/workflow/events/backlog');
  return response.ok ? (await response.json()).total : Infinity;
}

const allStored = async (dir, expected) => {
  const stored = storedEvents(dir);
  return stored >= expected ? true : `${stored}/${expected} stored`;
};

const collectionAlone = () => scenario('collection', async () => {}, allStored);
const collectionWithRules = () => scenario(
  `rules-${RULES}`,
  async () => {
    for (let r = 0; r < RULES; r++) {
      const response = await api('/rules', {
        id: `rule-${r}`,
        trigger: { eventTypes: ['page-view'] },
        condition: { field: 'event.properties.sku', op: 'ne', value: `never-${r}` },
        actions: [{ type: 'increment', trait: `r${r % 10}` }],
      });
      if (response.status !== 201) throw new Error(`rule ${r}: ${response.status} ${await response.text()}`);
    }
  },
  async (dir, expected) => {
    const stored = storedEvents(dir);
    const backlog = await workflowBacklog();
    if (stored < expected || backlog > 0) return `${stored}/${expected} stored, workflow backlog ${backlog}`;
    // Done only when every rule ran on every event: trait r0 counts rules 0, 10, 20… once per event.
    const counted = incrementsOfR0(dir);
    const runsOfR0 = Math.ceil(RULES / 10);
    return counted >= expected * runsOfR0 ? true : `${stored}/${expected} stored, trait r0 at ${counted} of ${expected * runsOfR0}`;
  },
);

/** The sum of every profile's trait r0 (each increment of a rule on an event adds one). */
const incrementsOfR0 = (dir) => fromStore(dir, "SELECT COALESCE(SUM(json_extract(data, '$.traits.r0')), 0) AS n FROM profiles");

// Alternated, so that a slow minute of the machine does not fall on one scenario only.
const pairs = [];
for (let round = 1; round <= ROUNDS; round++) {
  if (ROUNDS > 1) say(`round ${round} of ${ROUNDS}`);
  pairs.push({ baseline: await collectionAlone(), withRules: await collectionWithRules() });
}
const ratios = pairs.map((pair) => pair.withRules.eps / pair.baseline.eps);
// The round shown is the one nearest the median ratio.
const middle = median(ratios);
const distance = (pair) => Math.abs(pair.withRules.eps / pair.baseline.eps - middle);
const { baseline, withRules } = pairs.reduce((best, pair) => (distance(pair) < distance(best) ? pair : best));

const delivered = new Set();
const receiver = createServer((req, res) => {
  delivered.add(req.headers['idempotency-key']);
  req.resume();
  req.on('end', () => res.writeHead(200).end());
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const dispatch = NO_DISPATCH ? undefined : await scenario(
  'dispatch',
  async () => {
    const response = await api('/destinations', { id: 'sink', webhook: { url: `http://127.0.0.1:${receiver.address().port}/in` }, trigger: { eventTypes: ['page-view'] }, delivery: { concurrency: 32 } });
    if (response.status !== 201) throw new Error(`destination: ${response.status} ${await response.text()}`);
  },
  async (dir, expected) => (delivered.size >= expected ? true : `${delivered.size}/${expected} delivered`),
);
receiver.close();

console.log(`\nstages on the embedded engine, ${REQUESTS} queued requests x ${EVENTS_PER_REQUEST} events, ${CONNECTIONS} connections, Node ${process.versions.node}`);
console.log(`${'scenario'.padEnd(14)} ${'events'.padStart(8)} ${'seconds'.padStart(8)} ${'events/s'.padStart(9)} ${'stored/s'.padStart(9)}`);
for (const r of [baseline, withRules, dispatch].filter(Boolean)) console.log(`${r.name.padEnd(14)} ${String(r.events).padStart(8)} ${r.seconds.toFixed(1).padStart(8)} ${r.eps.toFixed(0).padStart(9)} ${r.name === 'dispatch' ? '' : r.storedEps.toFixed(0).padStart(9)}`);
console.log(`ratio with ${RULES} rules / collection alone: ${middle.toFixed(2)}x (target >= 0.80)${ROUNDS > 1 ? `, the median of ${ROUNDS} rounds: ${ratios.map((r) => r.toFixed(2)).join(' ')}` : ''}`);
// The collector's own throughput while the rules are active (every event stored; in this one
// process the workflow shares its thread, so its work slows the collector too).
const storedRatios = pairs.map((pair) => pair.withRules.storedEps / pair.baseline.storedEps);
console.log(`collector throughput with ${RULES} rules active / without: ${median(storedRatios).toFixed(2)}x (events stored per second${ROUNDS > 1 ? `; per round ${storedRatios.map((r) => r.toFixed(2)).join(' ')}` : ''})`);
if (dispatch) console.log(`dispatch to one local webhook: ${dispatch.eps.toFixed(0)} events/s end to end (stored and delivered), ${(dispatch.eps / baseline.eps).toFixed(2)}x of collection alone`);
