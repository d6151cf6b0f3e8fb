import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@inflow/core';
import type { HttpServer } from './http-types.js';
import { listenNodeHttp } from './node-server.js';

const logger = createLogger({ level: 'error', format: 'text', sink: () => undefined });

/** A server whose handler answers 200 only once `open()` is called, counting how many wait at once. */
async function gatedServer(): Promise<{ server: HttpServer; open: () => void; peak: () => number; handled: () => number }> {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let waiting = 0;
  let peak = 0;
  let handled = 0;
  const server = await listenNodeHttp(
    {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 10_000,
      requestTimeoutMs: 5_000,
      handler: async (request) => {
        handled += 1;
        waiting += 1;
        peak = Math.max(peak, waiting);
        await gate;
        waiting -= 1;
        return { status: 200, body: JSON.stringify({ n: request.body.toString() }) };
      },
    },
    logger,
  );
  return { server, open: () => open(), peak: () => peak, handled: () => handled };
}

/** Writes `raw` on one connection; resolves with what came back once the server closed it or `ms` passed. */
function exchange(port: number, raw: string, ms = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.write(raw);
  });
}

const post = (body: string, extra = ''): string => `POST /track HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('the edge on node:http (INFLOW_HTTP_SERVER=node)', () => {
  let server: HttpServer | undefined;
  afterEach(() => server?.stopListening());

  it('handles at most 32 pipelined requests of one connection at once: the rest get 503 in order, and the connection is read again once answered', async () => {
    const gated = await gatedServer();
    server = gated.server;
    const count = 2_000;
    const raw = Array.from({ length: count }, (_, i) => post(String(i), i === count - 1 ? 'Connection: close\r\n' : '')).join('');
    const answered = exchange(server.port, raw);
    await until(() => gated.handled() >= 32);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Past 32, answers (503) wait behind the first ones; past 16 KB of them Node stops reading.
    expect(gated.peak()).toBe(32);
    expect(gated.handled()).toBe(32);
    gated.open();
    const text = await answered;
    const got = statuses(text);
    expect(got).toHaveLength(count);
    expect(got.slice(0, 32)).toEqual(Array.from({ length: 32 }, () => 200));
    expect(got).toContain(503);
    expect(text).toContain('"code":"service_unavailable"');
    // Read again once the first were answered (110 KB is more than Node reads at once): later requests are handled.
    expect(gated.handled()).toBeGreaterThan(32);
    const served = [...text.matchAll(/\{"n":"(\d+)"\}/g)].map((match) => Number(match[1]));
    expect(served).toHaveLength(gated.handled());
    expect(served).toEqual([...served].sort((a, b) => a - b));
    expect(gated.peak()).toBeLessThanOrEqual(32);
  });

  it('takes the path and the whole query of a target in origin or absolute form', async () => {
    const seen: Array<[string, string]> = [];
    server = await listenNodeHttp(
      {
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 10_000,
        requestTimeoutMs: 5_000,
        handler: (request) => {
          seen.push([request.path, request.query]);
          return Promise.resolve({ status: 200, body: '{}' });
        },
      },
      logger,
    );
    for (const target of ['/a?u=https://x/?b=c', 'http://edge.example/b/c?q=1', 'http://edge.example?x=2', 'http://edge.example']) {
      expect(statuses(await exchange(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))).toEqual([200]);
    }
    expect(seen).toEqual([['/a', 'u=https://x/?b=c'], ['/b/c', 'q=1'], ['/', 'x=2'], ['/', '']]);
  });

  it('answers a request still unanswered when one its parser refuses follows, then the refusal, then closes', async () => {
    const gated = await gatedServer();
    server = gated.server;
    const answered = exchange(server.port, `${post('first')}GARBAGE\r\n\r\n`);
    await until(() => gated.handled() === 1);
    gated.open();
    const text = await answered;
    expect(statuses(text)).toEqual([200, 400]);
    expect(text).toMatch(/"code":"malformed_request"/);
  });

  it('sends the refusal after every earlier answer, in order, though the first is the slowest, and once however much garbage follows', async () => {
    server = await listenNodeHttp(
      {
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 10_000,
        requestTimeoutMs: 5_000,
        handler: async (request) => {
          const body = request.body.toString();
          if (body === 'slow') await new Promise((resolve) => setTimeout(resolve, 200));
          return { status: 200, body: JSON.stringify({ n: body }) };
        },
      },
      logger,
    );
    const port = server.port;
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`${post('slow')}${post('b')}${post('c')}GARBAGE\r\n\r\n`);
    for (let i = 0; i < 20; i++) socket.write('MORE GARBAGE\r\n\r\n');
    await closed;
    expect(statuses(text)).toEqual([200, 200, 200, 400]);
    expect([...text.matchAll(/\{"n":"(\w+)"\}/g)].map((match) => match[1])).toEqual(['slow', 'b', 'c']);
    expect(text).toMatch(/"code":"malformed_request"[^]*$/);
  });

  it('answers 400 naming the problem when nothing is pending, and 431 to a head over 16 KB', async () => {
    const gated = await gatedServer();
    server = gated.server;
    gated.open();
    expect(await exchange(server.port, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"code":"malformed_request"/);
    expect(await exchange(server.port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('refuses a body over the limit from its head alone (no 100 Continue), and ignores other expectations as uWS does', async () => {
    const gated = await gatedServer();
    server = gated.server;
    gated.open();
    const refused = await exchange(server.port, 'POST /track HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 20000\r\n\r\n');
    expect(statuses(refused)).toEqual([413]);
    const continued = await exchange(server.port, post('ok', 'Expect: 100-continue\r\nConnection: close\r\n'));
    expect(statuses(continued)).toEqual([100, 200]);
    const other = await exchange(server.port, post('ok', 'Expect: something-else\r\nConnection: close\r\n'));
    expect(statuses(other)).toEqual([200]);
  });

  it('fails a request whose answer has a header Node will not write, alone, and goes on serving', async () => {
    const errors: string[] = [];
    server = await listenNodeHttp(
      {
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 10_000,
        requestTimeoutMs: 5_000,
        handler: (request) => Promise.resolve(request.path === '/bad' ? { status: 200, headers: { 'x-bad': 'a\nb' }, body: '{}' } : { status: 200, body: '{}' }),
      },
      createLogger({ level: 'error', format: 'text', sink: (line) => errors.push(line) }),
    );
    expect(await exchange(server.port, 'GET /bad HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('');
    expect(errors.join('\n')).toContain('cannot answer GET /bad');
    expect(statuses(await exchange(server.port, 'GET /good HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toEqual([200]);
  });
});
