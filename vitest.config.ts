import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'e2e/**/*.e2e.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start servers on free ports and write to temporary folders; files run in parallel.
    // The fault tests (distributed.integration) kill, hang and block the shared services: npm test runs
    // them in a second vitest run of their own, so that no other file meets a service they took down.
    pool: 'forks',
    // Redis, Pulsar and Elasticsearch for the *.integration.test.ts files, started natively.
    globalSetup: ['./scripts/vitest-stack.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    allowOnly: false,
  },
});
