import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const stack = fileURLToPath(new URL('./stack.mjs', import.meta.url));

/**
 * Test-run setup: installs Chromium when missing, starts (or reuses) Redis, Pulsar and Elasticsearch, tells the tests where
 * they are, and stops the ones it started afterwards unless INFLOW_STACK_KEEP=1 (handy while developing).
 */
export function setup(): () => void {
  // Vitest runs a global setup once per project and for the root: the first does the work.
  if (process.env['INFLOW_VITEST_STACK'] === 'set up') return () => undefined;
  process.env['INFLOW_VITEST_STACK'] = 'set up';
  // Debian's Chromium for the e2e/ tests.
  execFileSync(process.execPath, [fileURLToPath(new URL('./ensure-chromium.mjs', import.meta.url))], { stdio: 'inherit' });
  // What already runs (a developer's `stack up`, another test run) is used and left running.
  const services = execFileSync(process.execPath, [stack, 'status'])
    .toString()
    .trim()
    .split('\n')
    // Running: started by this script (a pid) or answering on its port (started elsewhere).
    .map((line) => ({ name: line.split(' ')[0] ?? '', running: / pid \d+|, ready/.test(line) }));
  execFileSync(process.execPath, [stack, 'up'], { stdio: 'inherit' });
  // An Elasticsearch this run started holds only this run's indices: the fault tests remove those
  // of the files before them. (One already running may hold a developer's or another run's.)
  if (!services.some((service) => service.name === 'elasticsearch' && service.running)) process.env['INFLOW_TEST_RUN_STARTED'] = String(Date.now());
  const env = execFileSync(process.execPath, [stack, 'env']).toString();
  for (const line of env.trim().split('\n')) {
    const [key, ...value] = line.split('=');
    if (key) process.env[key] = value.join('=');
  }
  return () => {
    if (process.env['INFLOW_STACK_KEEP'] === '1') return;
    const started = services.filter((service) => !service.running).map((service) => service.name);
    if (started.length > 0) execFileSync(process.execPath, [stack, 'down', ...started], { stdio: 'inherit' });
  };
}
