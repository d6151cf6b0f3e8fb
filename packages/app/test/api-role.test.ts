import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineEnv } from './support/start-inflow.js';
import { runCli, spawnInflow, TOKEN } from './support/spawn-inflow.js';

describe('inflow api: the private API as a deployment of its own', () => {
  it('serves the private API, opens no public port, and reads what the other roles write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inflow-api-role-'));
    const env = engineEnv('distributed');
    const api = await spawnInflow(dir, env, 'api');
    try {
      expect(api.privateUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.publicUrl).toBe('');
      expect(api.output()).not.toContain('public edge listening');
      expect((await fetch(`${api.privateUrl}/healthz`)).status).toBe(200);
      const created = await fetch(`${api.privateUrl}/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'from-api-role' }),
      });
      expect(created.status).toBe(201);
      const backlog = (await (await api.api('/backlog')).json()) as { topics: Array<{ topic: string }> };
      expect(backlog.topics.map((topic) => topic.topic)).toContain('collector/payloads');
    } finally {
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to run alone on the embedded engine, which runs every role in one process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inflow-api-role-'));
    const result = await runCli(['api'], { INFLOW_DATA_DIR: dir, INFLOW_ENGINE: 'embedded' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('"inflow api" runs one role of the distributed engine');
    rmSync(dir, { recursive: true, force: true });
  });
});
