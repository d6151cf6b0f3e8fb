// Builds the tracker from the TypeScript output in build/:
//   dist/esm/        tree-shakable ES modules for bundlers (one file per module, no side effects)
//   dist/node/       the server-side entry
//   dist/inflow.min.js   the minified script-tag build (an IIFE)
//   dist/inflow.<add-on>.min.js   script-tag add-ons (src/addons/), loaded by a page after the snippet
// @inflow/protocol is a devDependency: the few constants the tracker takes from it are inlined.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/**
 * Properties that never leave the script-tag bundle are renamed: `_`-prefixed fields and the
 * internal ports' members below (identity, store, transport and its results' `kind` and `error`,
 * the timer, none of which the script tag exposes or documents as an init option). Never wire fields,
 * stored fields (a queue written by one release is read by the next), init options, public
 * methods, or a name this bundle also reads on a built-in object (`now`: Date.now). `builtins`
 * lets names that are also DOM properties (Storage.clear, XMLHttpRequest.send) be listed here.
 * Targets browsers with ES2020 (README); `module` lets terser assume strict mode (and drop the
 * IIFE's "use strict", which strictScript puts back), and `sequences: false` leaves statements
 * apart, which gzip compresses better here, as do `comparisons: false` and a fifth pass
 * (measured: 4 B smaller gzipped than without them).
 */
const INTERNAL_PROPERTIES =
  /^(_.*|setProfileId|adopt|load|save|clear|send|unloading|retryAfterMs|retryInMs|pending|identity|transport|store|log|setTimer|kind|error)$/;
const minify = terser({
  ecma: 2020,
  module: true,
  compress: { passes: 5, pure_getters: true, hoist_funs: true, sequences: false, unsafe_arrows: true, unsafe_methods: true, comparisons: false },
  mangle: { properties: { regex: INTERNAL_PROPERTIES, builtins: true } },
  format: { comments: false },
});
/**
 * `const` declarations become `let` in the script tag before terser runs: gzip then sees one
 * keyword where it saw two, and terser joins neighbouring declarations into one `let` (measured:
 * 36 B smaller gzipped). Type-checked code never assigns a const, so nothing else changes. The
 * keyword is padded to its length ("let  "), so positions and sourcemaps stay as they were.
 */
const constAsLet = () => ({
  name: 'const-as-let',
  transform(code) {
    const starts = [];
    const walk = (node) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node.type !== 'string') return;
      if (node.type === 'VariableDeclaration' && node.kind === 'const') starts.push(node.start);
      for (const value of Object.values(node)) if (value && typeof value === 'object') walk(value);
    };
    walk(this.parse(code));
    let out = code;
    for (const start of starts) out = `${out.slice(0, start)}let  ${out.slice(start + 5)}`;
    return { code: out, map: null };
  },
});
/**
 * The script tag runs in strict mode, as the modules it is built from do (and as the npm build
 * runs): terser's `module` drops the IIFE's directive, so it goes back as the function body's
 * first statement (inside it, so that a page or tag manager concatenating this file with others
 * does not make them strict too).
 */
const strictScript = () => ({
  name: 'strict-script',
  renderChunk(code) {
    const opening = /^!function\(\)\{/.exec(code);
    if (!opening) throw new Error('strict-script: the minified script tag does not start with !function(){');
    return { code: `${opening[0]}"use strict";${code.slice(opening[0].length)}`, map: null };
  },
});
/** Script-tag add-ons: src/addons/<name>.ts becomes dist/inflow.<name>.min.js (the edge serves them beside the tracker). */
export const SCRIPT_TAG_ADDONS = ['page-views'];
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
    output: { file: 'dist/inflow.min.js', format: 'iife', plugins: [minify, strictScript()] },
    plugins: [inlineProtocol(), constAsLet()],
  },
  ...SCRIPT_TAG_ADDONS.map((name) => ({
    input: `build/addons/${name}.js`,
    output: { file: `dist/inflow.${name}.min.js`, format: 'iife', plugins: [minify, strictScript()] },
    plugins: [inlineProtocol(), constAsLet()],
  })),
];
