import { PulsarToken } from '../distributed/pulsar/pulsar-auth.js';

/**
 * Where the real services are (set by the test command's stack setup). Missing means the
 * setup did not run: the test fails, it never skips.
 */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with "npm test", which starts Redis, Pulsar and Elasticsearch`);
  return value;
}

/** The stack's Pulsar token, when its Pulsar requires authentication (INFLOW_PULSAR_TOKEN, set by the stack). */
export function stackPulsarAuth(): PulsarToken | undefined {
  return PulsarToken.from({ token: process.env['INFLOW_PULSAR_TOKEN'] || undefined });
}

/** Headers for a test's own call to the stack's Pulsar admin API. */
export function stackPulsarHeaders(): Record<string, string> {
  return stackPulsarAuth()?.headers() ?? {};
}
