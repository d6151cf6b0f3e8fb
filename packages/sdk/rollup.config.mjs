// Builds the tracker from the TypeScript output in build/:
//   dist/esm/        tree-shakable ES modules for bundlers (one file per module, no side effects)
//   dist/node/       the server-side entry
//   dist/inflow.min.js   the minified script-tag build (an IIFE)
// @inflow/protocol is a devDependency: the few constants the tracker takes from it are inlined.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/**
 * Properties that never leave the script-tag bundle are renamed: `_`-prefixed fields and the
 * internal ports' members below (identity, store, transport, retry and core bookkeeping, none
 * of which the script tag exposes or lets a page pass in). Never wire fields, stored fields
 * (a queue written by one release is read by the next), init options or public methods.
 * Targets browsers with ES2020 (README).
 */
const INTERNAL_PROPERTIES = /^(_.*|setProfileId|adopt|unloading|retryAfterMs|retryInMs|counts|pending|baseMs|maxMs)$/;
const minify = terser({
  ecma: 2020,
  compress: { passes: 4, pure_getters: true, unsafe_arrows: true, unsafe_methods: true },
  mangle: { properties: { regex: INTERNAL_PROPERTIES } },
  format: { comments: false },
});
const inlineProtocol = () => nodeResolve({ resolveOnly: ['@inflow/protocol'] });

export default [
  {
    input: 'build/index.js',
    output: { dir: 'dist/esm', format: 'es', preserveModules: true, preserveModulesRoot: 'build', entryFileNames: (chunk) => (chunk.facadeModuleId?.includes('/protocol/') ? `protocol/${chunk.name.split('/').pop()}.js` : '[name].js') },
    plugins: [inlineProtocol()],
    treeshake: { moduleSideEffects: false },
  },
  {
    input: 'build/node/index.js',
    output: { file: 'dist/node/index.js', format: 'es' },
    plugins: [inlineProtocol()],
  },
  {
    input: 'build/script-tag.js',
    output: { file: 'dist/inflow.min.js', format: 'iife', plugins: [minify] },
    plugins: [inlineProtocol()],
  },
];
