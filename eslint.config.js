// Lint rules that protect what the compiler does not: promises nobody awaits, `any`
// leaking in, console output in library code, and focused or skipped tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', 'examples/**', 'bench/**', 'scripts/**', 'packages/*/scripts/**', 'deploy/**', '**/*.config.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'e2e/**/*.ts'],
    languageOptions: { parserOptions: { project: ['./packages/*/tsconfig.json', './tsconfig.tests.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only', message: 'no focused tests' },
        { object: 'describe', property: 'only', message: 'no focused tests' },
        { object: 'it', property: 'skip', message: 'no skipped tests' },
        { object: 'describe', property: 'skip', message: 'no skipped tests' },
      ],
    },
  },
);
