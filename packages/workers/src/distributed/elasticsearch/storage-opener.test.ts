import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, InfrastructureError, type Logger } from '@inflow/core';
import { storageOpener } from './storage-opener.js';

/** The project's logger, its lines kept as [level, message] (JSON lines, read back). */
function keptLines(): Logger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const sink = (line: string): void => {
    const { level, msg } = JSON.parse(line) as { level: string; msg: string };
    lines.push([level, msg]);
  };
  return Object.assign(createLogger({ level: 'debug', format: 'json', sink }), { lines });
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/**
 * An HTTP endpoint answering every request with `status` and an Elasticsearch-shaped error: what a
 * secured cluster says to wrong credentials (this machine's Elasticsearch runs without security).
 */
async function refusing(status: number): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    response.end(JSON.stringify({ error: { type: 'security_exception', reason: 'unable to authenticate user [inflow]' }, status }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

describe('storageOpener on first use', () => {
  it('turns a refusal (wrong credentials) into an outage for the caller, logged once as an error naming the setting', async () => {
    const logger = keptLines();
    const opener = storageOpener({ url: await refusing(401), indexPrefix: 'x', refreshInterval: 'auto', logger }, logger, true);
    const first = await opener.get().catch((error: unknown) => error);
    expect(first).toBeInstanceOf(InfrastructureError);
    expect(String(first)).toMatch(/store unavailable: elasticsearch refused: .*security_exception/);
    // Held for a second: the same error at once, no second attempt, no second line.
    expect(await opener.get().catch((error: unknown) => error)).toBe(first);
    expect(logger.lines.filter(([level]) => level === 'error')).toHaveLength(1);
    expect(logger.lines[0]?.[1]).toMatch(/not opened on first use.*check INFLOW_ELASTICSEARCH_URL and its credentials/);
    await opener.close();
    await expect(opener.get()).rejects.toThrow(/the engine is closed/);
  }, 30_000);

  it('passes what the start sees as it is when not on first use (the start decides what it waits for)', async () => {
    const logger = keptLines();
    const opener = storageOpener({ url: await refusing(401), indexPrefix: 'x', refreshInterval: 'auto', logger }, logger, false);
    const error = await opener.get().catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(InfrastructureError);
    expect(logger.lines).toEqual([]);
    await opener.close();
  }, 30_000);

  it('closes without waiting more than 5 s for an open under way, and refuses to open after', async () => {
    const logger = keptLines();
    // An endpoint that takes the connection and never answers (a hung Elasticsearch).
    const hung = createServer((request) => request.resume());
    servers.push(hung);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as { port: number };
    const opener = storageOpener({ url: `http://127.0.0.1:${port}`, indexPrefix: 'x', refreshInterval: 'auto', logger }, logger, true);
    let settled = false;
    void opener.get().then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // close() returns although the open never finishes (it gives up on it after 5 s).
    await opener.close();
    expect(settled).toBe(false);
    await expect(opener.get()).rejects.toThrow(/the engine is closed/);
  }, 30_000);
});
