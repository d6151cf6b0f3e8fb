#!/usr/bin/env node
// Load benchmark of POST /track in queue mode: the uWebSockets.js edge against a plain Node
// http server running the same validation and queue append, in one invocation.
// Usage: npm run bench [-- --duration 10 --connections 64]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { optionArgs } from './support/args.mjs';

const args = optionArgs();
const duration = Number(args.duration ?? 10);
const connections = Number(args.connections ?? 64);
const say = (line) => process.stderr.write(`[bench] ${line}\n`);

/** Realistic tracker payloads: a page view with context, sometimes with a few more events. */
function payloads(count) {
  const pages = ['/', '/shoes', '/shoes/runner-42', '/cart', '/checkout', '/blog/how-to-run'];
  return Array.from({ length: count }, (_, i) => {
    const page = pages[i % pages.length];
    const extra = i % 3;
    const events = [
      { type: 'page-view', properties: { title: `Page ${page}`, path: page } },
      ...Array.from({ length: extra }, (_, j) => ({ type: j ? 'add-to-cart' : 'product-view', properties: { sku: `SKU-${i}-${j}`, price: 19.9 + j, currency: 'EUR', tags: ['sale', 'new'] } })),
    ].map((event) => ({ ...event, id: i % 2 ? randomUUID() : undefined, time: new Date().toISOString() }));
    return {
      source: { id: 'bench' },
      profile: { id: `profile-${i % 500}` },
      session: { id: `session-${i % 800}` },
      context: {
        page: { url: `https://shop.example${page}?utm_source=newsletter`, path: page, title: `Page ${page}`, referrer: 'https://search.example/' },
        screen: { width: 1920, height: 1080 }, language: 'en-GB', timeZone: 'Europe/Warsaw',
      },
      events,
      options: { queue: true },
    };
  });
}

async function startTarget(transport) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./track-target.mjs', import.meta.url)), transport], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const port = await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening (\d+)/.exec(out);
      if (match) { clearInterval(timer); resolve(Number(match[1])); }
    }, 20);
    child.on('exit', (code) => { clearInterval(timer); reject(new Error(`${transport} target exited with ${code}`)); });
  });
  return {
    port,
    stop: () => new Promise((resolve) => { child.on('exit', () => resolve(/queued (\d+)/.exec(out)?.[1] ?? '?')); child.kill('SIGTERM'); }),
  };
}

async function measure(transport, bodies) {
  say(`${transport}: starting target`);
  const target = await startTarget(transport);
  let next = 0;
  const eventsPerBody = bodies.map((body) => JSON.parse(body).events.length);
  let events = 0;
  const run = (seconds) => autocannon({
    url: `http://127.0.0.1:${target.port}/track`,
    connections,
    duration: seconds,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      setupRequest: (request) => { const i = next++ % bodies.length; events += eventsPerBody[i]; return { ...request, body: bodies[i] }; },
    }],
  });
  say(`${transport}: warm-up 2 s`);
  await run(2);
  events = 0;
  say(`${transport}: measuring ${duration} s with ${connections} connections`);
  const tracker = run(duration);
  const ticker = setInterval(() => say(`${transport}: ${Math.round((Date.now() - t0) / 1000)} s…`), 2500);
  const t0 = Date.now();
  const result = await tracker;
  clearInterval(ticker);
  const queued = await target.stop();
  const seconds = result.duration;
  const ok = result['2xx'];
  return {
    transport,
    rps: ok / seconds,
    eps: (events * (ok / Math.max(1, result.requests.total))) / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    queued,
  };
}

const bodies = payloads(600).map((p) => JSON.stringify(p));
const avgBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length);
say(`payloads: ${bodies.length} distinct, ${avgBytes} bytes on average`);
const edge = await measure('uws', bodies);
const baseline = await measure('node-http', bodies);
const row = (r) => `${r.transport.padEnd(10)} ${r.rps.toFixed(0).padStart(9)} ${r.eps.toFixed(0).padStart(10)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(7)} ${String(r.queued).padStart(9)}`;
console.log(`\nPOST /track, queue mode, ${connections} connections, ${duration} s, Node ${process.versions.node}, ${avgBytes}-byte payloads`);
console.log(`${'target'.padEnd(10)} ${'req/s'.padStart(9)} ${'events/s'.padStart(10)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)} ${'queued'.padStart(9)}`);
console.log(row(edge));
console.log(row(baseline));
console.log(`ratio uws/node-http: req/s ${(edge.rps / baseline.rps).toFixed(2)}x, p99 ${(edge.p99 / Math.max(baseline.p99, 0.001)).toFixed(2)}x`);
