import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@inflow/core';
import type { HttpRequest, HttpServer, ServerOptions } from './http-types.js';
import { loadUws } from './load-uws.js';
import { listenNodeHttp } from './node-server.js';
import { listenUws } from './uws-server.js';

const logger = createLogger({ level: 'error', format: 'text', sink: () => undefined });
const SERVERS: Array<[string, (options: ServerOptions) => Promise<HttpServer>]> = [
  ['uWebSockets.js', (options) => listenUws(loadUws(false).uws, options, logger)],
  ['node:http', (options) => listenNodeHttp(options, logger)],
];

/** Sends one POST on a raw connection; `close` ends the connection while the answer is still awaited. */
function post(port: number, body: string): { socket: ReturnType<typeof connect>; answered: Promise<string> } {
  const socket = connect({ host: '127.0.0.1', port });
  socket.write(`POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const answered = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  socket.on('error', () => undefined);
  return { socket, answered };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe.each(SERVERS)('a request whose client goes away before its answer, on %s', (_name, listen) => {
  it('is marked aborted (the queue then drops it if it did not take it yet); one still awaited is not', async () => {
    const seen: HttpRequest[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const server = await listen({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 10_000,
      requestTimeoutMs: 5_000,
      handler: async (request) => {
        seen.push(request);
        await gate;
        return { status: 201, body: '{}' };
      },
    });
    const leaving = post(server.port, '{"n":1}');
    const staying = post(server.port, '{"n":2}');
    await until(() => seen.length === 2);
    expect(seen.map((request) => request.aborted ?? false)).toEqual([false, false]);
    const [gone, kept] = seen[0]?.body.toString() === '{"n":1}' ? [seen[0], seen[1]] : [seen[1], seen[0]];
    leaving.socket.destroy();
    await until(() => gone?.aborted === true);
    expect(gone?.aborted).toBe(true);
    expect(kept?.aborted ?? false).toBe(false);
    open();
    await until(() => server.inFlight() === 0);
    staying.socket.end();
    expect(await staying.answered).toMatch(/^HTTP\/1\.1 201/);
    // Answered: no longer "aborted" whatever happens to the connection after.
    expect(kept?.aborted ?? false).toBe(false);
    server.stopListening();
  });
});
