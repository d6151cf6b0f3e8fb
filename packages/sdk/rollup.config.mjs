// Builds the tracker from the TypeScript output in build/:
//   dist/esm/        tree-shakable ES modules for bundlers (one file per module, no side effects)
//   dist/node/       the server-side entry
//   dist/inflow.min.js   the minified script-tag build (an IIFE)
import terser from '@rollup/plugin-terser';

const minify = terser({ compress: { passes: 3, pure_getters: true }, mangle: { properties: { regex: /^_/ } }, format: { comments: false } });

export default [
  {
    input: 'build/index.js',
    output: { dir: 'dist/esm', format: 'es', preserveModules: true, preserveModulesRoot: 'build' },
    treeshake: { moduleSideEffects: false },
  },
  {
    input: 'build/node/index.js',
    output: { file: 'dist/node/index.js', format: 'es' },
  },
  {
    input: 'build/script-tag.js',
    output: { file: 'dist/inflow.min.js', format: 'iife', plugins: [minify] },
  },
];
