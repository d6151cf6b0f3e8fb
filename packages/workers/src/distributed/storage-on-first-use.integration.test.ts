import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requiredEnv } from '../test-support/services.js';

/**
 * An engine made with storageOnFirstUse, in a process of its own (so that nothing else loaded the
 * Elasticsearch client first): the client is not loaded until a port is first used, and the first
 * use opens the storage and answers.
 */
const SCRIPT = `
import { createRequire } from 'node:module';
const [workers, core] = [await import(process.argv[1]), await import(process.argv[2])];
const require = createRequire(process.argv[1]);
const elasticModules = () => Object.keys(require.cache).filter((file) => file.includes('@elastic')).length;
const prefix = 'lazy' + Date.now().toString(36);
const settings = {
  pulsarUrl: process.env.INFLOW_PULSAR_URL, pulsarTransport: 'websocket', pulsarToken: process.env.INFLOW_PULSAR_TOKEN,
  elasticsearchUrl: process.env.INFLOW_ELASTICSEARCH_URL, redisUrl: process.env.INFLOW_REDIS_URL,
  tenant: prefix, dispatchNamespace: 'dispatch', workflowNamespace: 'workflow', pulsarPartitions: 1, pulsarProducerConnections: 1,
  pulsarReceiverQueueSize: 10, pulsarStallCheckMs: 0, sendTimeoutMs: 5000, storagePrefix: prefix, profileTtlSeconds: 60, sessionTtlSeconds: 60,
  refreshInterval: 'auto', traceTtlSeconds: 60, traceMaxEntries: 100, traceProfileEntries: 10, traceRedisMaxEntries: 100, statsTtlMs: 60000,
  checkPulsarBroker: false, storageOnFirstUse: true,
};
const logger = core.createLogger({ level: 'error', format: 'text' });
const engine = await workers.createDistributedEngine(settings, core.topicNames(prefix, { collector: 'collector', dispatch: 'dispatch', workflow: 'workflow' }), logger);
const before = elasticModules();
const profile = await engine.store.getProfile('nobody');
const after = elasticModules();
await engine.close();
console.log(JSON.stringify({ before, after, profile }));
process.exit(0);
`;

describe('the distributed engine with storageOnFirstUse', () => {
  it('loads no Elasticsearch module until a port is used; the first use opens the storage and answers', () => {
    const dist = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT, dist('workers/dist/index.js'), dist('core/dist/index.js')], {
      env: {
        ...process.env,
        INFLOW_PULSAR_URL: requiredEnv('INFLOW_PULSAR_URL'),
        INFLOW_ELASTICSEARCH_URL: requiredEnv('INFLOW_ELASTICSEARCH_URL'),
        INFLOW_REDIS_URL: requiredEnv('INFLOW_REDIS_URL'),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const result = JSON.parse(output.trim().split('\n').pop() as string) as { before: number; after: number; profile: unknown };
    expect(result.before).toBe(0);
    expect(result.after).toBeGreaterThan(0);
    expect(result.profile).toBeNull();
  }, 90_000);
});
