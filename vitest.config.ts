import { configDefaults, defineConfig } from 'vitest/config';

const TESTS = ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'e2e/**/*.e2e.test.ts'];
/** The fault tests kill, hang and block the shared services: they run alone, after every other file. */
const FAULT_TESTS = 'packages/app/test/distributed.integration.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start servers on free ports and write to temporary folders; files run in parallel.
    pool: 'forks',
    // (Arrays such as include and exclude are set per project: `extends` would add the projects' to these.)
    // Redis, Pulsar and Elasticsearch for the *.integration.test.ts files, started natively. Vitest runs it
    // for each project and the root; the first run does the work (and its teardown comes after every group).
    globalSetup: ['./scripts/vitest-stack.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    allowOnly: false,
    projects: [
      { extends: true, test: { name: 'tests', include: TESTS, exclude: [...configDefaults.exclude, FAULT_TESTS], sequence: { groupOrder: 0 } } },
      // Group 1 starts once group 0 has finished: no other file meets a service these took down.
      { extends: true, test: { name: 'faults', include: [FAULT_TESTS], sequence: { groupOrder: 1 } } },
    ],
  },
});
