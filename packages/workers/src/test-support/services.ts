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

/**
 * Deletes the stack's indices created since `sinceMs` whose names start with one of `prefixes`
 * followed by a dash (without `prefixes`, every non-system index; with an empty list, none). Elasticsearch refuses wildcards in a delete
 * (`action.destructive_requires_name`), so the indices are listed and named, a few at a time.
 * Fewer indices let a killed Elasticsearch recover in seconds instead of minutes: after a
 * SIGKILL it recovers every shard it has before it reports ready.
 */
export async function deleteTestIndices(elasticsearchUrl: string, { sinceMs = 0, prefixes }: { sinceMs?: number; prefixes?: readonly string[] }): Promise<number> {
  if (prefixes?.length === 0) return 0;
  const listed = await fetch(`${elasticsearchUrl}/_cat/indices?format=json&h=index,creation.date&expand_wildcards=open,closed`);
  if (!listed.ok) throw new Error(`listing indices: ${listed.status} ${await listed.text()}`);
  const names = ((await listed.json()) as Array<{ index: string; 'creation.date': string }>)
    .filter(({ index, 'creation.date': created }) => !index.startsWith('.') && Number(created) >= sinceMs)
    .map(({ index }) => index)
    .filter((index) => prefixes === undefined || prefixes.some((prefix) => index.startsWith(`${prefix}-`)));
  for (let at = 0; at < names.length; at += 50) {
    const chunk = names.slice(at, at + 50).join(',');
    const deleted = await fetch(`${elasticsearchUrl}/${chunk}?ignore_unavailable=true`, { method: 'DELETE' });
    if (!deleted.ok) throw new Error(`deleting indices: ${deleted.status} ${await deleted.text()}`);
  }
  return names.length;
}
