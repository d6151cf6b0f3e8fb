// Bundles the SPA example the way an application would: `import ... from '@inflow/sdk'`,
// resolved from node_modules and tree-shaken.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

export default {
  input: 'app.js',
  output: { file: 'dist/app.js', format: 'es', plugins: [terser()] },
  plugins: [nodeResolve()],
};
