import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorMessage, type Logger } from '@inflow/core';
import { REQUEST_HEADERS, statusLine, type HttpReply, type HttpRequest, type HttpServer, type ServerOptions } from './http-types.js';
import { errorReply, internalError, payloadTooLarge, requestTimeout } from './replies.js';
import { refusalBeforeBody } from './early-refusals.js';
import { requestIdOf } from './request-id.js';

/** A connection with nothing sent or received this long is closed (uWebSockets.js: 10 s). */
const IDLE_MS = 10_000;
/**
 * Pipelined requests: Node hands every request it parsed to the handler at once, however many
 * one connection sent. Past this many unanswered on one connection its reading pauses (and
 * resumes at half); the requests already read with them (one chunk's) are answered 503 past
 * PIPELINE_REFUSE_AT, in order, so one connection cannot make the edge hold thousands.
 */
const PIPELINE_PAUSE_AT = 16;
const PIPELINE_REFUSE_AT = 64;

/** What one connection has waiting: its unanswered requests, and whether reading was paused for them. */
interface Pipeline {
  unanswered: number;
  paused: boolean;
}

export function listenNodeHttp(options: ServerOptions, logger: Logger): Promise<HttpServer> {
  let inFlight = 0;
  const { meter, requestIds } = options;
  const pipelines = new WeakMap<Socket, Pipeline>();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    const socket = req.socket;
    const pipeline = pipelines.get(socket) ?? { unanswered: 0, paused: false };
    pipelines.set(socket, pipeline);
    pipeline.unanswered += 1;
    if (pipeline.unanswered >= PIPELINE_PAUSE_AT && !pipeline.paused) {
      pipeline.paused = true;
      socket.pause();
    }
    let done = false;
    /** Set when the answer is written: from then on the client leaving is no abort. */
    let answered = false;
    const started = meter ? performance.now() : 0;
    const headers = requestHeaders(req);
    const requestId = requestIds ? requestIdOf(requestIds.trustHeader ? headerText(req, 'x-request-id') : undefined, requestIds.trustHeader) : undefined;
    let request: HttpRequest | undefined;
    // eslint-disable-next-line prefer-const -- set below, once the head turned out acceptable (settle clears it)
    let timer: NodeJS.Timeout | undefined;
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      inFlight -= 1;
      clearTimeout(timer);
      pipeline.unanswered -= 1;
      if (pipeline.paused && pipeline.unanswered <= PIPELINE_PAUSE_AT / 2) {
        pipeline.paused = false;
        socket.resume();
      }
      return true;
    };
    const finish = (reply: HttpReply, close = false): void => {
      if (!settle()) return;
      const answerHeaders: Record<string, string> = { ...reply.headers };
      if (requestId !== undefined) answerHeaders['x-request-id'] = requestId;
      // Node closes the connection once this answer is written (the body behind it is not read).
      if (close) answerHeaders['connection'] = 'close';
      // Said up front, so that keep-alive answers are not sent chunked (and HEAD says the length GET would have).
      answerHeaders['content-length'] = String(Buffer.byteLength(reply.body));
      answered = true;
      try {
        res.writeHead(reply.status, answerHeaders);
        res.end(reply.body);
      } catch (error) {
        // A header Node refuses to write (a character it does not allow): the request fails alone, the process stays up.
        logger.error(`cannot answer ${req.method} ${req.url}: ${errorMessage(error)}`);
        res.destroy();
      }
      meter?.answered(request?.route ?? '', reply.status, (performance.now() - started) / 1000, request?.body.byteLength ?? 0);
    };
    const early = (reply: HttpReply): HttpReply => (options.earlyReply ? options.earlyReply(headers['origin'], reply) : reply);
    const refusal = refusalBeforeBody(headers, options.maxBodyBytes);
    if (refusal) return finish(early(refusal), true);
    if (pipeline.unanswered > PIPELINE_REFUSE_AT) return finish(early(tooManyPipelined()));
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
          return !answered && (res.destroyed || socket.destroyed);
        },
        method: req.method ?? 'GET',
        path,
        query,
        headers,
        body: Buffer.concat(chunks),
        remoteAddress: socket.remoteAddress ?? '',
        route: undefined,
        requestId,
      };
      options.handler(request).then(finish, (error: unknown) => {
        logger.error(`handler failed on ${request?.method} ${request?.path}: ${(error as Error).stack ?? String(error)}`);
        finish(internalError());
      });
    });
    // The client went away before its body arrived.
    req.on('error', settle);
  };

  const server = createServer(
    {
      // A client that does not finish its head in time gets a 408 (clientError below).
      headersTimeout: options.requestTimeoutMs,
      requestTimeout: 0, // the body's deadline is ours (408 with its reason)
      keepAliveTimeout: IDLE_MS,
      connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs),
    },
    onRequest,
  );
  // Closed when nothing moves either way, e.g. a client that never reads its answers.
  server.setTimeout(IDLE_MS);
  // Expect: 100-continue is answered only when the head is acceptable (else its refusal comes
  // at once, and the body is never sent); any other expectation is ignored, as uWS does.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!refusalBeforeBody(requestHeaders(req), options.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  server.on('checkExpectation', onRequest);
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => answerClientError(error, socket, pipelines.get(socket), options.requestTimeoutMs));
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

const tooManyPipelined = (): HttpReply =>
  errorReply(503, 'service_unavailable', `more than ${PIPELINE_REFUSE_AT} requests pipelined on one connection are waiting for their answers; send this one again`, { headers: { 'retry-after': '1' } });

/**
 * A request Node's parser refuses gets a 400 naming why (Node's own answer has no body), and
 * the connection closes. When earlier requests of the connection are still unanswered, an answer
 * now would be taken as theirs: the connection is closed without one (as uWS does).
 */
function answerClientError(error: Error & { code?: string }, socket: Socket, pipeline: Pipeline | undefined, requestTimeoutMs: number): void {
  if (!socket.writable || error.code === 'ECONNRESET' || (pipeline?.unanswered ?? 0) > 0) return void socket.destroy();
  const reply = error.code === 'HPE_HEADER_OVERFLOW'
    ? errorReply(431, 'malformed_request', 'the request head is larger than 16 KB')
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? requestTimeout(requestTimeoutMs, 'head')
      : errorReply(400, 'malformed_request', `the HTTP request could not be parsed: ${error.code ?? 'error'}${'reason' in error && typeof error.reason === 'string' ? ` (${error.reason})` : ''}`);
  const body = Buffer.from(reply.body);
  const head = `HTTP/1.1 ${statusLine(reply.status)}\r\ncontent-type: application/json\r\ncontent-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  // Ended and then released: a client that keeps its side open does not hold the connection.
  socket.end(Buffer.concat([Buffer.from(head), body]), () => socket.destroy());
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
