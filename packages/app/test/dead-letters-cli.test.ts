import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteQueue } from '@inflow/workers';
import { runCli, spawnInflow, waitFor, type InflowProcess } from './support/spawn-inflow.js';

type Letters = { deadLetters: Array<{ id: string; data: string }> };

/** A message the edge would never write (no profile id): the collector dead-letters it. */
const poison = (n: number): string => `{"v":1,"id":"r-cli-${n}","receivedAt":1,"payload":{"source":{"id":"demo"},"events":[{"type":"x"}]}}`;

describe('inflow dead-letters (the built command line against a running embedded inflow)', () => {
  const dirs: string[] = [];
  let inflow: InflowProcess;
  let dir: string;
  let port: string;
  const folder = (): string => {
    const made = mkdtempSync(join(tmpdir(), 'inflow-cli-'));
    dirs.push(made);
    return made;
  };
  // No token in the environment: the CLI reads the one the server keeps in {dataDir}/api-token.
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['dead-letters', ...args], { INFLOW_DATA_DIR: dir, INFLOW_PRIVATE_PORT: port, INFLOW_API_TOKEN: '', ...env });
  const letters = async (): Promise<Letters['deadLetters']> => {
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    const response = await fetch(`${inflow.privateUrl}/dead-letters?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
    return ((await response.json()) as Letters).deadLetters;
  };

  beforeAll(async () => {
    dir = folder();
    inflow = await spawnInflow(dir, { INFLOW_API_TOKEN: '' });
    port = new URL(inflow.privateUrl).port;
  });
  afterAll(async () => {
    inflow.child.kill('SIGTERM');
    await inflow.exited;
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
  });

  it('lists dead letters as a table with their ids, and replays them by id and all at once', async () => {
    expect(await cli(['list'])).toEqual({ code: 0, output: 'no dead letters\n' });
    const outside = new SqliteQueue({ file: join(dir, 'queue.db'), tenant: 'inflow', maxBacklog: 10, topics: [] });
    await outside.producer({ namespace: 'collector', name: 'payloads' }).send([1, 2].map((n) => ({ key: `k${n}`, data: Buffer.from(poison(n)) })));
    await outside.close();
    await waitFor(async () => (await letters()).length === 2, 10_000);
    const [newest, oldest] = await letters(); // newest first, as the list shows them

    const listed = await cli(['list']);
    expect(listed.code).toBe(0);
    const [header, ...rows] = listed.output.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+TOPIC\s+KEY\s+FAILED AT\s+REASON$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(new RegExp(`^${newest!.id}\\s+collector/payloads\\s+k2\\s+\\S+\\s+payload has events`));
    expect(rows[2]).toBe('2 dead letters');
    expect((await cli(['list', '--limit', '1'])).output).toContain('1 dead letter (the first 1; --limit to see more)');
    const json = JSON.parse((await cli(['list', '--json'])).output) as Letters['deadLetters'];
    expect(json.map((l) => l.data)).toEqual([poison(2), poison(1)]);

    const byId = await cli(['replay', '--id', oldest!.id, '--id', 'no-such-letter']);
    expect(byId.code).toBe(1);
    expect(byId.output).toContain('replayed 1 dead letter\n');
    expect(byId.output).toContain('not dead letters (unknown or already replayed): no-such-letter');
    expect((await letters()).map((l) => l.id)).not.toContain(oldest!.id);

    const all = await cli(['replay', '--all']);
    expect(all.code).toBe(0);
    expect(all.output).toMatch(/replayed [12] dead letters?\n/);
    expect((await letters()).filter((l) => l.id === oldest!.id || l.id === newest!.id)).toEqual([]);
  });

  it('exits 2 on a wrong use, naming what is wrong', async () => {
    for (const args of [['replay'], ['replay', '--all', '--id', 'x'], ['list', '--limit', '0'], ['list', '--bogus'], ['nope'], []]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.output, args.join(' ')).toMatch(/^inflow: /);
    }
    expect((await runCli(['--help'], {})).output).toContain('dead-letters replay --all | --id ID');
  });

  it('exits 1 with the reason when the private API cannot be used', async () => {
    const refused = await cli(['list'], { INFLOW_API_TOKEN: 'not-the-token-of-this-inflow' });
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.output).toContain('refused the token');
    const unreachable = await cli(['list'], { INFLOW_PRIVATE_PORT: String(await closedPort()) });
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toContain('cannot reach the private API');
    const noToken = await cli(['list'], { INFLOW_DATA_DIR: folder() });
    expect(noToken.code).toBe(2);
    expect(noToken.output).toContain('no API token');
  });
});

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
