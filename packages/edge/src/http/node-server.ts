import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@inflow/core';
import { REQUEST_HEADERS, type HttpReply, type HttpRequest, type HttpServer, type ServerOptions } from './http-types.js';
import { internalError, payloadTooLarge, requestTimeout } from './replies.js';
import { requestIdOf } from './request-id.js';

/**
 * The same handler on Node's own http server. Used as the benchmark's baseline and where
 * uWebSockets.js cannot load; the edge prefers uWebSockets.js.
 */
export function listenNodeHttp(options: ServerOptions, logger: Logger): Promise<HttpServer> {
  let inFlight = 0;
  const { meter, requestIds } = options;
  const server = createServer((req, res) => {
    inFlight += 1;
    let done = false;
    /** Set when the answer is written: from then on the client leaving is no abort. */
    let answered = false;
    const started = meter ? performance.now() : 0;
    const given = req.headers['x-request-id'];
    const requestId = requestIds ? requestIdOf(typeof given === 'string' ? given : undefined, requestIds.trustHeader) : undefined;
    let request: HttpRequest | undefined;
    const finish = (reply: HttpReply, close = false): void => {
      if (done) return;
      done = true;
      inFlight -= 1;
      clearTimeout(timer);
      const headers = requestId === undefined ? reply.headers : { ...reply.headers, 'x-request-id': requestId };
      answered = true;
      res.writeHead(reply.status, close ? { ...headers, connection: 'close' } : headers);
      res.end(reply.body);
      if (close) req.destroy();
      meter?.answered(request?.route ?? '', reply.status, (performance.now() - started) / 1000, request?.body.byteLength ?? 0);
    };
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const early = (reply: HttpReply): HttpReply => (options.earlyReply ? options.earlyReply(origin, reply) : reply);
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > options.maxBodyBytes) return finish(early(payloadTooLarge(options.maxBodyBytes)), true);
    const timer = setTimeout(
      () => finish(early(requestTimeout(options.requestTimeoutMs)), true),
      options.requestTimeoutMs,
    );
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.maxBodyBytes) finish(early(payloadTooLarge(options.maxBodyBytes)), true);
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      clearTimeout(timer);
      const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
      const headers: Record<string, string> = {};
      for (const name of REQUEST_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      request = {
        // Nobody waits for the answer once the client closed its side before it.
        get aborted() {
          return !answered && (res.destroyed || req.socket.destroyed);
        },
        method: req.method ?? 'GET',
        path,
        query,
        headers,
        body: Buffer.concat(chunks),
        remoteAddress: req.socket.remoteAddress ?? '',
        route: undefined,
        requestId,
      };
      options
        .handler(request)
        .then(finish, (error: unknown) => {
          logger.error(`handler failed: ${(error as Error).stack ?? String(error)}`);
          finish(internalError());
        });
    });
    req.on('error', () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      clearTimeout(timer);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        inFlight: () => inFlight,
        stopListening: () => server.close(),
      });
    });
  });
}

