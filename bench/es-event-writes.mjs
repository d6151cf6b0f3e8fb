#!/usr/bin/env node
// What an event costs Elasticsearch to store, by how it is written and mapped. Events shaped like
// the collector's (those of bench/pipeline-e2e.mjs: page context, properties, a user agent) go in
// bulks of --bulk into a fresh index per run, and Elasticsearch's CPU (/proc) is counted per event:
//   shipped    the collector's way: `create` with the event's document id, the real mappings;
//   auto-id    the same mappings, `index` with an id Elasticsearch picks (what storing each event once
//              by its id costs, against an append that could store a retried event twice);
//   lean       `create` with the id, and no doc values on the keyword and date fields the store never
//              sorts on (only `id` and `time` keep them; every field stays searchable).
// Variants are alternated over --rounds rounds after an uncounted warm-up; each figure's ratio is to
// the first variant of the same run.
// Usage: node bench/es-event-writes.mjs [--events 60000] [--profiles 2000] [--bulk 1000] [--rounds 2] [--variants shipped,auto-id,lean]
// Starts the stack's Elasticsearch (scripts/stack.mjs up elasticsearch) when it is not running.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { median } from './support/median.mjs';
import { stackElasticsearch } from './support/elasticsearch.mjs';
import { cpuSeconds } from './support/processes.mjs';
import { optionArgs, requirePositiveWholeNumbers } from './support/args.mjs';

const args = optionArgs();
const EVENTS = Number(args.events ?? 60000);
const PROFILES = Number(args.profiles ?? 2000);
const BULK = Number(args.bulk ?? 1000);
const ROUNDS = Number(args.rounds ?? 2);
const VARIANTS = String(args.variants ?? 'shipped,auto-id,lean').split(',');
requirePositiveWholeNumbers({ events: EVENTS, profiles: PROFILES, bulk: BULK, rounds: ROUNDS });
const say = (line) => process.stderr.write(`[es-event-writes] ${line}\n`);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { EVENT_MAPPINGS } = await import(new URL('packages/workers/dist/distributed/elasticsearch/mappings.js', `file://${ROOT}`).href);

/** The shipped mappings with doc values only where the store sorts (id, time). */
function leanMappings(mappings) {
  const lean = (properties) =>
    Object.fromEntries(
      Object.entries(properties).map(([name, field]) => {
        if (field.properties) return [name, { ...field, properties: lean(field.properties) }];
        if ((field.type === 'keyword' || field.type === 'date') && name !== 'id' && name !== 'time') return [name, { ...field, doc_values: false }];
        return [name, field];
      }),
    );
  return { ...mappings, properties: lean(mappings.properties) };
}

const VARIANT = {
  shipped: { mappings: EVENT_MAPPINGS, withId: true },
  'auto-id': { mappings: EVENT_MAPPINGS, withId: false },
  lean: { mappings: leanMappings(EVENT_MAPPINGS), withId: true },
};
for (const name of VARIANTS) if (!VARIANT[name]) throw new Error(`unknown variant ${name} (known: ${Object.keys(VARIANT).join(', ')})`);

say('starting Elasticsearch (scripts/stack.mjs up elasticsearch)');
const { pid: esPid, es } = stackElasticsearch();

const profileHash = (profileId) => createHash('sha1').update(profileId).digest('base64url').slice(0, 22);
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

/** The n-th event as the collector stores it: two a request, as in bench/pipeline-e2e.mjs. */
function eventDoc(run, n, at) {
  const request = Math.floor(n / 2);
  const profileId = `p${request % PROFILES}`;
  const page = { url: `https://shop.example/p/${request % 50}`, path: `/p/${request % 50}`, title: 'Product' };
  return {
    id: `${run}-${request}-${n % 2}`,
    type: n % 2 ? 'product-view' : 'page-view',
    time: at,
    receivedAt: at,
    sourceId: 'bench',
    profileId,
    sessionId: `s${request % 3000}`,
    requestId: `${run}-r${request}`,
    properties: { sku: `SKU-${request % 300}` },
    context: { page },
    page,
    userAgent: USER_AGENT,
    async: true,
  };
}

/** Stores `events` events the variant's way; Elasticsearch's CPU seconds per event. */
async function run(name, events, label) {
  const { mappings, withId } = VARIANT[name];
  const index = `es-event-writes-${name}-${Date.now().toString(36)}`;
  await es('PUT', `/${index}`, JSON.stringify({ settings: { number_of_replicas: 0, refresh_interval: '1s' }, mappings }));
  const started = cpuSeconds(esPid);
  const t0 = performance.now();
  let cpu = 0;
  let seconds = 0;
  try {
    await writeEvents(index, withId, events);
    await es('POST', `/${index}/_refresh`);
    cpu = cpuSeconds(esPid) - started;
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await es('DELETE', `/${index}`);
  }
  const perEvent = (cpu * 1e6) / events;
  say(`${label}: ${name}, ${events} events in ${seconds.toFixed(1)} s: ${perEvent.toFixed(1)} µs of Elasticsearch CPU an event`);
  return perEvent;
}

async function writeEvents(index, withId, events) {
  for (let n = 0; n < events; ) {
    let body = '';
    const at = new Date().toISOString();
    for (let i = 0; i < BULK && n < events; i++, n++) {
      const doc = eventDoc(index, n, at);
      const action = withId ? { create: { _index: index, _id: `${profileHash(doc.profileId)}:${doc.id}` } } : { index: { _index: index } };
      body += `${JSON.stringify(action)}\n${JSON.stringify(doc)}\n`;
    }
    const result = await es('POST', '/_bulk?filter_path=errors,items.*.error', body, 'application/x-ndjson');
    if (result.errors) throw new Error(`bulk errors: ${JSON.stringify(result.items?.[0])}`);
  }
}

say(`warm-up: ${EVENTS} events (not counted)`);
await run(VARIANTS[0], EVENTS, 'warm-up');
const results = new Map(VARIANTS.map((v) => [v, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const name of round % 2 ? VARIANTS : [...VARIANTS].reverse()) results.get(name).push(await run(name, EVENTS, `round ${round}`));
}

const base = median(results.get(VARIANTS[0]));
process.stdout.write(`\nevents stored in Elasticsearch, ${EVENTS} a run over ${PROFILES} profiles, bulks of ${BULK}, median of ${ROUNDS} rounds\n`);
process.stdout.write(`${'variant'.padEnd(12)}${'µs CPU an event'.padStart(17)}${`ratio to ${VARIANTS[0]}`.padStart(20)}\n`);
for (const name of VARIANTS) {
  const perEvent = median(results.get(name));
  process.stdout.write(`${name.padEnd(12)}${perEvent.toFixed(1).padStart(17)}${(perEvent / base).toFixed(2).padStart(19)}x\n`);
}
