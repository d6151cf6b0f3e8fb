// Builds the tracker from the TypeScript output in build/:
//   dist/esm/        tree-shakable ES modules for bundlers (one file per module, no side effects)
//   dist/node/       the server-side entry
//   dist/inflow.min.js   the minified script-tag build (an IIFE)
// @inflow/protocol is a devDependency: the few constants the tracker takes from it are inlined.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const minify = terser({ compress: { passes: 3, pure_getters: true }, mangle: { properties: { regex: /^_/ } }, format: { comments: false } });
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
