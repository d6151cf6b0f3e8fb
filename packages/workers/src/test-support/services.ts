/**
 * Where the real services are (set by the test command's stack setup). Missing means the
 * setup did not run: the test fails, it never skips.
 */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with "npm test", which starts Redis, Pulsar and Elasticsearch`);
  return value;
}
