#!/usr/bin/env node
// What metrics and the trace cost: the same load with INFLOW_METRICS and INFLOW_TRACE on, then
// off, in one run, on the embedded engine, each measure a fresh process on fresh data:
//   edge       the edge role alone (createInflow ['edge']): queued /track requests (201) for a
//              fixed time with autocannon → requests/s
//   collector  the collector role alone on the backlog the edge left: events stored per second,
//              from its start until every event is stored (read from its SQLite file)
// Rounds alternate on, off, on, off… and the best of each is kept. Prints the ratio off → on.
// Usage: node bench/observability-cost.mjs [--seconds 8] [--rounds 2] [--connections 32] [--split]
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes V8 flags to the roles' processes.
// (packages/app/dist must be built: npx tsc -b)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { median } from './support/median.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]?.startsWith("--") === false ? all[i + 1] : ""]] : pairs), []));
const SECONDS = Number(args.seconds ?? 8);
const ROUNDS = Number(args.rounds ?? 2);
const CONNECTIONS = Number(args.connections ?? 32);
const EVENTS_PER_REQUEST = 2;
const APP = fileURLToPath(new URL('../packages/app/dist/index.js', import.meta.url));
const CORE = fileURLToPath(new URL('../packages/core/dist/index.js', import.meta.url));
const say = (line) => process.stderr.write(`[observability-cost] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One role of the embedded engine in its own process; prints its ports once started. */
const ROLE = `const [role, appIndex, coreIndex] = process.argv.slice(-3);
const { createInflow, loadConfig } = await import(appIndex);
const { createLogger } = await import(coreIndex);
const config = loadConfig(process.env);
const inflow = createInflow(config, [role], createLogger({ level: 'warn', format: 'text' }));
await inflow.start();
process.stdout.write('ports ' + inflow.publicPort + ' ' + inflow.healthPort + '\\n');
process.on('SIGTERM', () => inflow.close().then(() => process.exit(0), () => process.exit(1)));
`;

async function startRole(role, dir, mode) {
  const script = join(dir, 'role.mjs');
  writeFileSync(script, ROLE);
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, script, role, APP, CORE], {
    env: {
      ...process.env,
      INFLOW_ENGINE: 'embedded',
      INFLOW_DATA_DIR: dir,
      INFLOW_PUBLIC_PORT: '0',
      INFLOW_PRIVATE_PORT: '0',
      INFLOW_API_TOKEN: 'bench-token-0123456789',
      INFLOW_SERVE_DEMO: 'true',
      INFLOW_METRICS: String(mode.metrics),
      INFLOW_TRACE: String(mode.trace),
      INFLOW_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (chunk) => (out += chunk));
  const ports = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /ports (\d+) (\d+)/.exec(String(chunk));
      if (match) resolve({ public: Number(match[1]), health: Number(match[2]) });
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}:\n${out}`)));
  });
  return {
    ports,
    stop: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

/**
 * Events in the collector's store, read from its SQLite file by this process: polling the role's
 * /metrics ten times a second would make the metrics look far dearer than a scrape every 15 s.
 * The largest rowid while it runs (one b-tree descent; events are only inserted, every id here is
 * new), the real count at the end.
 */
function storeReader(dir) {
  let db;
  const query = (sql) => {
    try {
      db ??= new Database(join(dir, 'store.db'), { readonly: true, fileMustExist: true });
      return db.prepare(sql).get().n ?? 0;
    } catch (error) {
      if (db === undefined) return 0; // not created yet
      throw error;
    }
  };
  return {
    progress: () => query('SELECT MAX(rowid) AS n FROM events'),
    count: () => query('SELECT COUNT(*) AS n FROM events'),
    close: () => db?.close(),
  };
}

async function round(mode) {
  const dir = mkdtempSync(join(tmpdir(), `inflow-observability-${mode.name}-`));
  try {
    const edge = await startRole('edge', dir, mode);
    let i = 0;
    const body = () => {
      const n = i++;
      return JSON.stringify({
        source: { id: 'demo' },
        profile: { id: `p-${n % 2000}` },
        session: { id: `s-${n % 3000}` },
        events: Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => ({ id: `e-${n}-${j}`, type: 'page-view', properties: { sku: `SKU-${n % 300}`, j } })),
        options: { queue: true },
      });
    };
    const url = `http://127.0.0.1:${edge.ports.public}/track`;
    await autocannon({ url, connections: CONNECTIONS, duration: 1, requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (r) => ({ ...r, body: body() }) }] }); // warm-up
    const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (r) => ({ ...r, body: body() }) }] });
    const accepted = result['2xx'];
    const edgeRps = accepted / SECONDS;
    await edge.stop();
    const expected = i * EVENTS_PER_REQUEST; // every request the edge took (warm-up included); refused ones are not queued
    const t0 = Date.now();
    const collector = await startRole('collector', dir, mode);
    const store = storeReader(dir);
    let last = 0;
    for (let idle = 0; idle < 40; await sleep(50)) {
      const progress = store.progress();
      idle = progress === last ? idle + 1 : 0; // done once nothing more comes for 2 s (or every event is stored)
      last = progress;
      if (progress >= expected) break;
    }
    const seconds = (Date.now() - t0) / 1000;
    const stored = store.count();
    store.close();
    const collectorEps = stored / seconds;
    await collector.stop();
    if (stored < expected) say(`${mode.name}: only ${stored} of ${expected} events stored`);
    say(`${mode.name}: edge ${edgeRps.toFixed(0)} req/s (${result.non2xx} non-2xx), collector ${collectorEps.toFixed(0)} events/s (${stored} events)`);
    return { edgeRps, collectorEps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --split adds a round with metrics on and the trace off, to tell their costs apart.
const MODES = [
  { name: 'on', metrics: true, trace: true },
  ...(args.split !== undefined ? [{ name: 'metrics-only', metrics: true, trace: false }] : []),
  { name: 'off', metrics: false, trace: false },
];
const best = Object.fromEntries(MODES.map((mode) => [mode.name, { edgeRps: 0, collectorEps: 0 }]));
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const results = {};
  for (const mode of MODES) {
    const result = await round(mode);
    results[mode.name] = result;
    const kept = best[mode.name];
    kept.edgeRps = Math.max(kept.edgeRps, result.edgeRps);
    kept.collectorEps = Math.max(kept.collectorEps, result.collectorEps);
  }
  rounds.push(results);
}
// Besides the best of each, the ratio within each round (neighbours in time) and their median.
for (const mode of MODES.filter((m) => m.name !== 'off')) {
  for (const [what, key] of [['edge', 'edgeRps'], ['collector', 'collectorEps']]) {
    const ratios = rounds.map((results) => results[mode.name][key] / results.off[key]);
    console.log(`${mode.name} vs off, ${what} per round: ${ratios.map((r) => r.toFixed(3)).join(' ')} (median ${median(ratios).toFixed(3)}x)`);
  }
}
for (const mode of MODES.filter((m) => m.name !== 'off')) {
  console.log(`${mode.name} vs off, edge:      ${best.off.edgeRps.toFixed(0)} → ${best[mode.name].edgeRps.toFixed(0)} req/s: ${(best[mode.name].edgeRps / best.off.edgeRps).toFixed(3)}x`);
  console.log(`${mode.name} vs off, collector: ${best.off.collectorEps.toFixed(0)} → ${best[mode.name].collectorEps.toFixed(0)} events/s: ${(best[mode.name].collectorEps / best.off.collectorEps).toFixed(3)}x`);
}
