#!/usr/bin/env node
// Prints the gzipped size of every tracker build and fails when the script-tag build is over
// its budget. The ESM figures are what an app ships after tree-shaking for a minimal
// init + track, and with every plugin.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';

/** Budget of the full-featured script-tag build, gzipped. The aim is 4 KiB. */
const SCRIPT_TAG_BUDGET = 4400;

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

const esm = here('dist/esm/index.js');
const rows = [
  ['script tag (dist/inflow.min.js, everything)', readFileSync(here('dist/inflow.min.js'))],
  ['npm import: createTracker + track', await bundleOf(`import { createTracker } from ${JSON.stringify(esm)}; createTracker({ endpoint: '/', sourceId: 's' }).track('x');`)],
  [
    'npm import: + localStorageStore, autoPageViews, privacySignals',
    await bundleOf(`import { createTracker, localStorageStore, autoPageViews, privacySignals } from ${JSON.stringify(esm)};
      const t = createTracker({ endpoint: '/', sourceId: 's', store: localStorageStore('s'), consentRequired: privacySignals() }); autoPageViews(t);`),
  ],
  ['node (dist/node/index.js, unminified)', readFileSync(here('dist/node/index.js'))],
];
for (const [name, code] of rows) console.log(`size: ${name.padEnd(62)} ${String(gz(code)).padStart(6)} B gzipped (${(gz(code) / 1024).toFixed(2)} KiB)`);
const scriptTag = gz(rows[0][1]);
if (scriptTag > SCRIPT_TAG_BUDGET) {
  console.error(`size: the script-tag build is ${scriptTag} B gzipped, over its budget of ${SCRIPT_TAG_BUDGET} B`);
  process.exit(1);
}
console.log(`size: script-tag build within budget (${scriptTag} of ${SCRIPT_TAG_BUDGET} B)`);
