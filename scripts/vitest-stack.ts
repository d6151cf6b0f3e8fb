import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const stack = fileURLToPath(new URL('./stack.mjs', import.meta.url));

/**
 * Test-run setup: installs Chromium when missing, starts (or reuses) Redis, Pulsar and Elasticsearch, tells the tests where
 * they are, and stops them afterwards unless INFLOW_STACK_KEEP=1 (handy while developing).
 */
export function setup(): () => void {
  // Debian's Chromium for the e2e/ tests.
  execFileSync(process.execPath, [fileURLToPath(new URL('./ensure-chromium.mjs', import.meta.url))], { stdio: 'inherit' });
  execFileSync(process.execPath, [stack, 'up'], { stdio: 'inherit' });
  const env = execFileSync(process.execPath, [stack, 'env']).toString();
  for (const line of env.trim().split('\n')) {
    const [key, ...value] = line.split('=');
    if (key) process.env[key] = value.join('=');
  }
  return () => {
    if (process.env['INFLOW_STACK_KEEP'] === '1') return;
    execFileSync(process.execPath, [stack, 'down'], { stdio: 'inherit' });
  };
}
