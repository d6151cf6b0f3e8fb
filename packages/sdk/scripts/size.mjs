#!/usr/bin/env node
// Prints the gzipped size of every tracker build and each opt-in plugin's cost, and fails when
// the script-tag build is over its budget or an unimported plugin is shipped anyway. The ESM
// figures are what an app ships after tree-shaking: a minimal init + track, then that plus one
// plugin (its cost is the difference).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { SCRIPT_TAG_ADDONS } from '../rollup.config.mjs';

/** What the script-tag build with its default features must not exceed, gzipped (issue 9; 4,091 B measured at the last change, sentAt). */
const SCRIPT_TAG_BUDGET = 4096;

const here = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const gz = (code) => gzipSync(code, { level: 9 }).length;

async function bundleOf(source) {
  const dir = mkdtempSync(join(tmpdir(), 'inflow-size-'));
  const entry = join(dir, 'entry.js');
  writeFileSync(entry, source);
  const build = await rollup({ input: entry, plugins: [nodeResolve({ rootDir: here('.') })], treeshake: { moduleSideEffects: false }, onwarn: () => undefined });
  const { output } = await build.generate({ format: 'es', plugins: [terser({ compress: { passes: 3 } })] });
  return output[0].code;
}

const esm = JSON.stringify(here('dist/esm/index.js'));
const base = `import { createTracker, PLUGIN } from ${esm}; const t = createTracker({ endpoint: '/', sourceId: 's', plugins: [] }); t.track('x');`;
/** Each plugin as an app would use it; `marker` is a string only that plugin's code contains. */
const plugins = [
  ['localStorageStore', `createTracker({ endpoint: '/', sourceId: 's', store: localStorageStore('s') });`, 'inflow:q:'],
  ['autoPageViews', `autoPageViews(t);`, 'popstate'],
  ['privacySignals', `t.consent(!privacySignals());`, 'globalPrivacyControl'],
  ['autocapture', `createTracker({ endpoint: '/', sourceId: 's', plugins: [autocapture()] });`, 'form-submit'],
  ['crossDomainLinking', `createTracker({ endpoint: '/', sourceId: 's', plugins: [crossDomainLinking({ domains: ['a.example'] })] });`, 'mousedown'],
];

const scriptTag = readFileSync(here('dist/inflow.min.js'), 'utf8');
const minimal = await bundleOf(base.replace(', PLUGIN', ''));
const rows = [
  ['script tag (dist/inflow.min.js, default features)', gz(scriptTag)],
  ['npm import: createTracker + track', gz(minimal)],
];
const failures = [];
for (const [name, use, marker] of plugins) {
  const code = await bundleOf(base.replace('PLUGIN', name) + use);
  rows.push([`  plugin ${name} (added to the npm import)`, `+${gz(code) - gz(minimal)}`]);
  if (name !== 'localStorageStore' && minimal.includes(marker)) failures.push(`${name} is shipped without being imported`);
  if (name !== 'localStorageStore' && name !== 'privacySignals' && scriptTag.includes(marker)) failures.push(`${name} is in the script tag`);
}
for (const addon of SCRIPT_TAG_ADDONS) rows.push([`  script-tag add-on dist/inflow.${addon}.min.js`, gz(readFileSync(here(`dist/inflow.${addon}.min.js`)))]);
rows.push(['node (dist/node/index.js, unminified)', gz(readFileSync(here('dist/node/index.js')))]);
for (const [name, size] of rows) console.log(`size: ${name.padEnd(56)} ${String(size).padStart(6)} B gzipped`);
// The script tag must run in strict mode, as the modules it is built from (rollup.config.mjs, strictScript).
if (!scriptTag.startsWith('!function(){"use strict";')) failures.push('the script-tag build is not a strict-mode function ("use strict" first in the IIFE)');
if (gz(scriptTag) > SCRIPT_TAG_BUDGET) failures.push(`the script-tag build is ${gz(scriptTag)} B gzipped, over its budget of ${SCRIPT_TAG_BUDGET} B`);
for (const failure of failures) console.error(`size: ${failure}`);
if (failures.length > 0) process.exit(1);
console.log(`size: script-tag build within budget (${gz(scriptTag)} of ${SCRIPT_TAG_BUDGET} B)`);
