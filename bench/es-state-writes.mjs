#!/usr/bin/env node
// What a profile (or session) write costs Elasticsearch by the size of its dedup window: the
// marks of the last events it counted (`recentEventIds`, collector/event-marks.ts), which a
// long-lived profile carries in full on every write. Versioned writes (external versions, as
// the collector makes them) of --profiles documents shaped like the collector's profiles, with
// the real mappings, in bulks of 500, each profile stored once with a full window before the
// measured writes; each write adds two events' marks, as a request of the
// end-to-end benchmark does. Measured: Elasticsearch's CPU (/proc) per write, for windows of
// 0, 128, 256 and 512 marks, alternated over --rounds rounds after an uncounted warm-up, and
// each window's ratio to the window of 0 in the same run.
// Usage: node bench/es-state-writes.mjs [--writes 30000] [--profiles 2000] [--rounds 2] [--windows 0,128,256,512]
//        [--marks-mapping keyword|unmapped|disabled] [--settings '{"index.codec":"best_compression"}']
// --marks-mapping and --settings compare how the marks are mapped and other index settings (run
// each variant in turn, alternated). Where Elasticsearch's CPU goes during a run: Java Flight
// Recorder, as the Elasticsearch user, e.g. `jcmd <pid> JFR.start duration=40s filename=/tmp/es.jfr
// settings=profile`, then `jfr print --events jdk.ExecutionSample /tmp/es.jfr`.
// Starts the stack's Elasticsearch (scripts/stack.mjs up) when it is not running.
import { fileURLToPath } from 'node:url';
import { median } from './support/median.mjs';
import { stackElasticsearch } from './support/elasticsearch.mjs';
import { cpuSeconds } from './support/processes.mjs';
import { optionArgs, requirePositiveWholeNumbers } from './support/args.mjs';

const args = optionArgs();
const WRITES = Number(args.writes ?? 30000);
const PROFILES = Number(args.profiles ?? 2000);
const ROUNDS = Number(args.rounds ?? 2);
const WINDOWS = String(args.windows ?? '0,128,256,512').split(',').map(Number);
const BULK = 500;
/** How the marks field is mapped: as the collector maps it (keyword, not indexed), 'unmapped' (left to _source), or 'disabled' (an object Elasticsearch does not parse). */
const MARKS_MAPPING = String(args['marks-mapping'] ?? 'keyword');
if (!['keyword', 'unmapped', 'disabled'].includes(MARKS_MAPPING)) throw new Error(`--marks-mapping must be keyword, unmapped or disabled (got ${MARKS_MAPPING})`);
requirePositiveWholeNumbers({ writes: WRITES, profiles: PROFILES, rounds: ROUNDS });
if (WINDOWS.some((w) => !Number.isInteger(w) || w < 0)) throw new Error(`--windows must be whole numbers (got ${args.windows})`);
const say = (line) => process.stderr.write(`[es-state-writes] ${line}\n`);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { PROFILE_MAPPINGS: COLLECTOR_MAPPINGS } = await import(new URL('packages/workers/dist/distributed/elasticsearch/mappings.js', `file://${ROOT}`).href);
/** Index settings added to the collector's (e.g. '{"index.merge.policy.deletes_pct_allowed":50}'), to compare Elasticsearch settings. */
const EXTRA_SETTINGS = args.settings ? JSON.parse(args.settings) : {};
const PROFILE_MAPPINGS = marksMapped(COLLECTOR_MAPPINGS, MARKS_MAPPING);

function marksMapped(mappings, how) {
  if (how === 'keyword') return mappings;
  const { recentEventIds, ...others } = mappings.properties;
  return { ...mappings, properties: how === 'unmapped' ? others : { ...others, recentEventIds: { type: 'object', enabled: false } } };
}
const { eventMark, remember } = await import(new URL('packages/workers/dist/collector/event-marks.js', `file://${ROOT}`).href);

say('starting Elasticsearch (scripts/stack.mjs up elasticsearch)');
const { pid: esPid, es } = stackElasticsearch();

/** A profile as the collector writes it, remembering up to `window` events. */
function profileDoc(id, state, window, at) {
  const fresh = [eventMark(`${id}-e${state.events}`), eventMark(`${id}-e${state.events + 1}`)];
  state.events += 2;
  state.marks = window > 0 ? remember(state.marks, fresh, window) : [];
  state.version += 1;
  return {
    id,
    createdAt: state.createdAt,
    updatedAt: at,
    firstVisitAt: state.createdAt,
    lastVisitAt: at,
    visits: 1 + Math.floor(state.events / 40),
    eventCount: state.events,
    traits: {},
    lastSourceId: 'bench',
    recentEventIds: state.marks,
    recentSessionIds: [`s-${id}-${Math.floor(state.events / 40)}`],
    version: state.version,
  };
}

/** Writes `writes` versioned profile documents; Elasticsearch's CPU seconds per write. */
async function run(window, writes, label) {
  const index = `es-state-writes-${window}-${Date.now().toString(36)}`;
  await es('PUT', `/${index}`, JSON.stringify({ settings: { number_of_replicas: 0, refresh_interval: '1s', ...EXTRA_SETTINGS }, mappings: PROFILE_MAPPINGS }));
  const states = new Map();
  // Each profile first gets a full window and is written once (not counted): a long-lived profile.
  const at0 = new Date().toISOString();
  for (let p = 0; p < PROFILES; p++) {
    const state = { events: 0, version: 0, marks: [], createdAt: at0 };
    for (let e = 0; e < window; e += 2) profileDoc(`p${p}`, state, window, at0);
    states.set(`p${p}`, state);
  }
  const writeRange = async (from, to) => {
    for (let n = from; n < to; ) {
      let body = '';
      const at = new Date().toISOString();
      for (let i = 0; i < BULK && n < to; i++, n++) {
        const id = `p${n % PROFILES}`;
        const doc = profileDoc(id, states.get(id), window, at);
        body += `${JSON.stringify({ index: { _index: index, _id: id, version: doc.version, version_type: 'external' } })}\n${JSON.stringify(doc)}\n`;
      }
      const result = await es('POST', '/_bulk?filter_path=errors,items.*.error', body, 'application/x-ndjson');
      if (result.errors) throw new Error(`bulk errors: ${JSON.stringify(result.items?.[0])}`);
    }
  };
  await writeRange(0, PROFILES);
  const started = cpuSeconds(esPid);
  const t0 = performance.now();
  await writeRange(PROFILES, PROFILES + writes);
  const cpu = cpuSeconds(esPid) - started;
  const seconds = (performance.now() - t0) / 1000;
  await es('DELETE', `/${index}`);
  const perWrite = (cpu * 1e6) / writes;
  const bytes = JSON.stringify(profileDoc('p0', { ...states.get('p0') }, window, at0)).length;
  say(`${label}: window ${window} marks, ${writes} writes of about ${bytes} bytes in ${seconds.toFixed(1)} s: ${perWrite.toFixed(0)} µs of Elasticsearch CPU a write`);
  return { perWrite, bytes };
}

say(`warm-up: ${WRITES} writes (not counted)`);
await run(Math.max(...WINDOWS), WRITES, 'warm-up');
const results = new Map(WINDOWS.map((w) => [w, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const window of round % 2 ? WINDOWS : [...WINDOWS].reverse()) results.get(window).push(await run(window, WRITES, `round ${round}`));
}

const base = median(results.get(WINDOWS[0]).map((r) => r.perWrite));
process.stdout.write(`\nversioned profile writes to Elasticsearch, ${PROFILES} profiles, ${WRITES} writes a run, bulks of ${BULK}, median of ${ROUNDS} rounds\n`);
process.stdout.write(`${'window (marks)'.padEnd(16)}${'doc bytes'.padStart(10)}${'µs CPU a write'.padStart(16)}${`ratio to ${WINDOWS[0]}`.padStart(14)}\n`);
for (const window of WINDOWS) {
  const rows = results.get(window);
  const perWrite = median(rows.map((r) => r.perWrite));
  process.stdout.write(`${String(window).padEnd(16)}${String(rows[0].bytes).padStart(10)}${perWrite.toFixed(0).padStart(16)}${(perWrite / base).toFixed(2).padStart(13)}x\n`);
}
