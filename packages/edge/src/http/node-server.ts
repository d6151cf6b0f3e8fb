import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '@inflow/core';
import { REQUEST_HEADERS, statusLine, type HttpReply, type HttpRequest, type HttpServer, type ServerOptions } from './http-types.js';
import { errorReply, internalError, payloadTooLarge, requestTimeout } from './replies.js';
import { refusalBeforeBody } from './early-refusals.js';
import { requestIdOf } from './request-id.js';

/** Node closes a kept-alive connection idle this long (uWebSockets.js: 10 s). */
const KEEP_ALIVE_MS = 10_000;

/**
 * The same handler on Node's own http server (INFLOW_HTTP_SERVER=node): it serves what
 * uWebSockets.js cannot (HTTP/1.0, e.g. nginx's proxy_pass by default; pipelined requests),
 * at a lower ceiling. Also the benchmark's baseline. The answers are the same as on uWS.
 */
export function listenNodeHttp(options: ServerOptions, logger: Logger): Promise<HttpServer> {
  let inFlight = 0;
  const { meter, requestIds } = options;
  const server = createServer(
    {
      // A client that does not finish its head in time is cut off (uWS: 10 s of silence).
      headersTimeout: options.requestTimeoutMs,
      requestTimeout: 0, // the body's deadline is ours (408 with its reason)
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs),
    },
    (req, res) => {
      inFlight += 1;
      let done = false;
      /** Set when the answer is written: from then on the client leaving is no abort. */
      let answered = false;
      const started = meter ? performance.now() : 0;
      const headers = requestHeaders(req);
      const requestId = requestIds ? requestIdOf(requestIds.trustHeader ? headerText(req, 'x-request-id') : undefined, requestIds.trustHeader) : undefined;
      let request: HttpRequest | undefined;
      // eslint-disable-next-line prefer-const -- set below, once the head turned out acceptable (finish clears it)
      let timer: NodeJS.Timeout | undefined;
      const finish = (reply: HttpReply, close = false): void => {
        if (done) return;
        done = true;
        inFlight -= 1;
        clearTimeout(timer);
        const answerHeaders: Record<string, string> = { ...reply.headers };
        if (requestId !== undefined) answerHeaders['x-request-id'] = requestId;
        // Node closes the connection once this answer is written (the body behind it is not read).
        if (close) answerHeaders['connection'] = 'close';
        // Said up front, so that keep-alive answers are not sent chunked (and HEAD says the length GET would have).
        answerHeaders['content-length'] = String(Buffer.byteLength(reply.body));
        answered = true;
        res.writeHead(reply.status, answerHeaders);
        res.end(reply.body);
        meter?.answered(request?.route ?? '', reply.status, (performance.now() - started) / 1000, request?.body.byteLength ?? 0);
      };
      const early = (reply: HttpReply): HttpReply => (options.earlyReply ? options.earlyReply(headers['origin'], reply) : reply);
      const refusal = refusalBeforeBody(headers, options.maxBodyBytes);
      if (refusal) return finish(early(refusal), true);
      timer = setTimeout(() => finish(early(requestTimeout(options.requestTimeoutMs)), true), options.requestTimeoutMs);
      const chunks: Buffer[] = [];
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        received += chunk.length;
        if (received > options.maxBodyBytes) finish(early(payloadTooLarge(options.maxBodyBytes)), true);
        else chunks.push(chunk);
      });
      req.on('end', () => {
        if (done) return;
        clearTimeout(timer);
        const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
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
        options.handler(request).then(finish, (error: unknown) => {
          logger.error(`handler failed on ${request?.method} ${request?.path}: ${(error as Error).stack ?? String(error)}`);
          finish(internalError());
        });
      });
      req.on('error', () => {
        if (done) return;
        done = true;
        inFlight -= 1;
        clearTimeout(timer);
      });
    },
  );
  // A request Node's parser refuses gets a 400 naming why (Node's own answer has no body), then the connection closes.
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const reply = error.code === 'HPE_HEADER_OVERFLOW'
      ? errorReply(431, 'malformed_request', 'the request head is larger than 16 KB')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? requestTimeout(options.requestTimeoutMs, 'head')
        : errorReply(400, 'malformed_request', `the HTTP request could not be parsed: ${error.code ?? 'error'}${'reason' in error && typeof error.reason === 'string' ? ` (${error.reason})` : ''}`);
    const body = Buffer.from(reply.body);
    socket.end(`HTTP/1.1 ${statusLine(reply.status)}\r\ncontent-type: application/json\r\ncontent-length: ${body.byteLength}\r\nconnection: close\r\n\r\n${body.toString()}`);
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

/** The headers handlers read (REQUEST_HEADERS), each as one string (Node joins repeated ones). */
function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) {
    const value = headerText(req, name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

function headerText(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
