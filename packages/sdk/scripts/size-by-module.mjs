#!/usr/bin/env node
// Where the script-tag build's bytes go: builds it again with a sourcemap (same config as
// dist/inflow.min.js) and attributes the minified code to its source modules. Per module:
// minified bytes, its share of the gzipped total, and its marginal cost (how much smaller the
// gzipped bundle is without that module's code), the figure to read when choosing what to shrink.
// Run from anywhere: `node packages/sdk/scripts/size-by-module.mjs` (after the TypeScript build).
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const { default: configs } = await import('../rollup.config.mjs');
const config = configs.find((c) => c.output.file === 'dist/inflow.min.js');
const bundle = await rollup({ input: config.input, plugins: config.plugins, onwarn: () => undefined });
const [{ code, map }] = (await bundle.generate({ ...config.output, sourcemap: true })).output;
const gz = (text) => gzipSync(text, { level: 9 }).length;

const lines = code.split('\n');
/** The sourcemap's segments as { line, column, source }, decoded from its base64 VLQ `mappings`. */
const mappings = [];
{
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let source = 0;
  map.mappings.split(';').forEach((text, line) => {
    let column = 0;
    for (const segment of text.split(',').filter(Boolean)) {
      const fields = [];
      for (let i = 0, value = 0, shift = 0; i < segment.length; i++) {
        const digit = digits.indexOf(segment[i] ?? '');
        value += (digit & 31) << shift;
        shift += 5;
        if (digit & 32) continue;
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = shift = 0;
      }
      column += fields[0] ?? 0;
      if (fields.length > 1) source += fields[1] ?? 0;
      mappings.push({ generatedLine: line + 1, generatedColumn: column, source: fields.length > 1 ? map.sources[source] : undefined });
    }
  });
}
/** [module, text] for every mapped stretch of the minified code, in order. */
const pieces = mappings.map((m, i) => {
  const next = mappings[i + 1];
  const line = lines[m.generatedLine - 1] ?? '';
  const end = next?.generatedLine === m.generatedLine ? next.generatedColumn : line.length;
  return [(m.source ?? '?').replace(/^.*\/(build|dist)\//, ''), line.slice(m.generatedColumn, end)];
});
const without = (module) => gz(pieces.filter(([m]) => m !== module).map(([, text]) => text).join(''));
const whole = without(undefined);
const modules = [...new Set(pieces.map(([m]) => m))].map((module) => {
  const raw = pieces.filter(([m]) => m === module).reduce((sum, [, text]) => sum + text.length, 0);
  return { module, raw, share: Math.round((raw / code.length) * whole), marginal: whole - without(module) };
});
modules.sort((a, b) => b.marginal - a.marginal);
for (const { module, raw, share, marginal } of modules) {
  console.log(`${module.padEnd(36)} ${String(raw).padStart(6)} B min ${String(share).padStart(6)} B gz share ${String(marginal).padStart(6)} B gz marginal`);
}
console.log(`${'total'.padEnd(36)} ${String(code.length).padStart(6)} B min ${String(whole).padStart(6)} B gzipped`);
