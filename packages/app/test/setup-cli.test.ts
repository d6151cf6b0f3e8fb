import { describe, expect, it } from 'vitest';
import { stackPulsarHeaders } from '../../workers/src/test-support/services.js';
import { engineEnv } from './support/start-inflow.js';
import { runCli } from './support/spawn-inflow.js';

describe('inflow setup (the built command line on the real services)', () => {
  it('creates the tenant, namespaces, topics, subscriptions and indices, says so, and is safe to run again', async () => {
    const env = engineEnv('distributed');
    const pulsar = env['INFLOW_PULSAR_URL'] ?? '';
    const elasticsearch = env['INFLOW_ELASTICSEARCH_URL'] ?? '';
    const tenant = env['INFLOW_TENANT'] ?? '';
    const first = await runCli(['setup'], env);
    expect(first.output).toMatch(/setup: topics, indices and subscriptions ready, \d+ ms/);
    expect(first.code).toBe(0);

    const namespaces = (await (await fetch(`${pulsar}/admin/v2/namespaces/${tenant}`, { headers: stackPulsarHeaders() })).json()) as string[];
    expect(namespaces).toEqual(expect.arrayContaining([`${tenant}/collector`, `${tenant}/dispatch`, `${tenant}/workflow`]));
    const topics = (await (await fetch(`${pulsar}/admin/v2/persistent/${tenant}/collector/partitioned`, { headers: stackPulsarHeaders() })).json()) as string[];
    expect(topics).toContain(`persistent://${tenant}/collector/payloads`);
    const subscriptions = (await (await fetch(`${pulsar}/admin/v2/persistent/${tenant}/collector/payloads/subscriptions`, { headers: stackPulsarHeaders() })).json()) as string[];
    expect(subscriptions.length).toBeGreaterThan(0);
    const indices = (await (await fetch(`${elasticsearch}/_cat/indices/${tenant}*?format=json`)).json()) as Array<{ index: string }>;
    expect(indices.map((index) => index.index)).toEqual(expect.arrayContaining([`${tenant}-profiles`, `${tenant}-sessions`, `${tenant}-definitions`]));
    // Events go to time-based indices made from this template as they are written.
    expect((await fetch(`${elasticsearch}/_index_template/${tenant}-events`)).status).toBe(200);

    const again = await runCli(['setup'], env);
    expect(again.code).toBe(0);
  }, 120_000);
});
