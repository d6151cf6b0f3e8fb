import { finished } from 'node:stream';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorMessage, type Logger } from '@inflow/core';
import { REQUEST_HEADERS, statusLine, type HttpReply, type HttpRequest, type HttpServer, type ServerOptions } from './http-types.js';
import { errorReply, internalError, payloadTooLarge, requestTimeout } from './replies.js';
import { DRAINED_BYTES, readsBeforeRefusing, refusalBeforeBody } from './early-refusals.js';
import { requestIdOf } from './request-id.js';

/** A connection with nothing sent or received this long is closed (uWebSockets.js: 10 s). */
const IDLE_MS = 10_000;
/**
 * Pipelined requests: Node hands every request it parsed to the handler at once, however many
 * one connection sent. Past this many unanswered on one connection, a request is answered 503
 * (in order, behind the others) without being handled; those queued answers then make Node stop
 * reading the connection (its own back-pressure, past 16 KB of answers waiting), so one
 * connection can make the edge hold neither thousands of requests nor their answers.
 */
const PIPELINE_LIMIT = 32;

export function listenNodeHttp(options: ServerOptions, logger: Logger): Promise<HttpServer> {
  let inFlight = 0;
  const { meter, requestIds } = options;
  /** Unanswered requests per connection. */
  const pipelines = new WeakMap<Socket, Pipeline>();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    const socket = req.socket;
    const pipeline = pipelines.get(socket) ?? { unanswered: 0 };
    pipelines.set(socket, pipeline);
    pipeline.unanswered += 1;
    pipeline.before = pipeline.last;
    pipeline.last = res;
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
      if (pipeline.readingBody?.settle === settle) pipeline.readingBody = undefined;
      return true;
    };
    const finish = (reply: HttpReply, close = false): void => {
      if (!settle()) return;
      const answerHeaders: Record<string, string> = { ...reply.headers };
      if (requestId !== undefined) answerHeaders['x-request-id'] = requestId;
      // Node closes the connection once this answer is written (whatever of the body is still unread is not read).
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
    const early = (reply: HttpReply): HttpReply => (options.earlyReply ? options.earlyReply(headers['origin'], reply, requestTarget(req.url ?? '/').path) : reply);
    const refusal = refusalBeforeBody(headers, options.maxBodyBytes);
    // A client that sent Expect waits for a 100, which a refused head never gets (checkContinue below).
    const readFirst = refusal?.status === 413 && readsBeforeRefusing(Number(headers['content-length']), req.headers.expect === undefined);
    // (Behind too many pipelined requests it is not read either: the 413 comes at once.)
    if (refusal && (!readFirst || pipeline.unanswered > PIPELINE_LIMIT)) return finish(early(refusal), true);
    if (pipeline.unanswered > PIPELINE_LIMIT) return finish(early(tooManyPipelined()));
    // The answer to a body over the limit, given once the body is read (see readsBeforeRefusing); counted (early) when sent.
    let tooLarge = refusal;
    timer = setTimeout(() => finish(early(tooLarge ?? requestTimeout(options.requestTimeoutMs)), true), options.requestTimeoutMs);
    const chunks: Buffer[] = [];
    let received = 0;
    // Until its body has arrived, a parse error of the connection is this request's (a bad chunk):
    // its answer gets CORS as the server's other early refusals do, and is counted like them.
    const refused = (reply: HttpReply): HttpReply => {
      const answer = early(reply);
      meter?.answered('', answer.status, (performance.now() - started) / 1000, 0);
      return requestId === undefined ? answer : { ...answer, headers: { ...answer.headers, 'x-request-id': requestId } };
    };
    pipeline.readingBody = { req, settle, refused };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      received += chunk.length;
      if (received > options.maxBodyBytes && !tooLarge) {
        tooLarge = payloadTooLarge(options.maxBodyBytes);
        chunks.length = 0;
      }
      // Dropped as it comes; answered at its end, or at once past what is read before refusing.
      if (!tooLarge) chunks.push(chunk);
      else if (received > DRAINED_BYTES) finish(early(tooLarge), true);
    });
    req.on('end', () => {
      if (done) return;
      if (tooLarge) return finish(early(tooLarge), true);
      clearTimeout(timer);
      if (pipeline.readingBody?.settle === settle) pipeline.readingBody = undefined;
      const { path, query } = requestTarget(req.url ?? '/');
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
      // A head not finished within the deadline gets a 408 (clientError below), as a connection opened
      // ahead of its first request does once the deadline passed (as nginx answers; browsers expect it).
      headersTimeout: options.requestTimeoutMs,
      // HTTP/1.1 without Host is answered, as HTTP/1.0 is (Node refuses it by default).
      requireHostHeader: false,
      requestTimeout: 0, // the body's deadline is ours (408 with its reason)
      keepAliveTimeout: IDLE_MS,
      connectionsCheckingInterval: 1_000,
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
  errorReply(503, 'service_unavailable', `more than ${PIPELINE_LIMIT} requests pipelined on one connection are waiting for their answers; send this one again`, { headers: { 'retry-after': '1' } });

/** A connection's requests still unanswered, and the one whose body is being read, if any. */
interface Pipeline {
  unanswered: number;
  readingBody?: BodyReader | undefined;
  /** The answer of the connection's newest request, and of the one before it: Node sends a connection's answers in order. */
  last?: ServerResponse | undefined;
  before?: ServerResponse | undefined;
  /** The parser refused what came next: answered once, whatever more arrives. */
  refused?: boolean;
}

interface BodyReader {
  req: IncomingMessage;
  /** Ends the request unanswered (false when it had ended already). */
  settle: () => boolean;
  /** Its refusal as sent (with CORS for its origin), counted. */
  refused: (reply: HttpReply) => HttpReply;
}

/**
 * A request Node's parser refuses gets a 400 naming why (Node's own answer has no body), and
 * the connection closes. So does a request whose body the parser refuses (a bad chunk): it is
 * answered here, never by its handler. When earlier requests of the connection are still
 * unanswered (complete ones, pipelined), they are answered first, in order, and the refusal
 * after them; what arrives meanwhile is ignored.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket, pipeline: Pipeline | undefined, requestTimeoutMs: number): void {
  // The socket stays open for the answers before the refusal: what arrives meanwhile is ignored.
  if (pipeline?.refused) return;
  // The request whose body the parser had not finished (and now refused) gets this answer, after
  // those before it. (One whose body was complete waits for its own, and the error is that of a
  // request behind it.)
  const reader = pipeline?.readingBody && !pipeline.readingBody.req.complete ? pipeline.readingBody : undefined;
  if (reader && !reader.settle()) return void socket.destroy();
  if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
  if (pipeline) pipeline.refused = true;
  const refusal = error.code === 'HPE_HEADER_OVERFLOW'
    ? errorReply(431, 'malformed_request', 'the request head is larger than 16 KB')
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? requestTimeout(requestTimeoutMs, 'head')
      : errorReply(400, 'malformed_request', `the HTTP request could not be parsed: ${error.code ?? 'error'}${'reason' in error && typeof error.reason === 'string' ? ` (${error.reason})` : ''}`);
  const reply = reader ? reader.refused(refusal) : refusal;
  const body = Buffer.from(reply.body);
  const headers = Object.entries(reply.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const head = `HTTP/1.1 ${statusLine(reply.status)}\r\n${headers}content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  const bytes = Buffer.concat([Buffer.from(head), body]);
  // Ended and then released: a client that keeps its side open does not hold the connection.
  const send = (): void => void socket.end(bytes, () => socket.destroy());
  // After the answer of the request before it, which Node sends after every earlier one (the
  // connection's idle timeout ends a wait on a handler that never answers).
  const previous = reader ? pipeline?.before : pipeline?.last;
  if (!previous || previous.writableFinished) return send();
  finished(previous, (failed) => (failed ? socket.destroy() : send()));
}

/**
 * The path and query of a request target: origin form (`/track?x=1`, the query being all after
 * the first `?`, as uWS gives it) or absolute form (`http://host/track?x=1`, which proxies may send).
 */
function requestTarget(target: string): { path: string; query: string } {
  let rest = target;
  if (!rest.startsWith('/')) {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
    if (absolute) rest = rest.slice(absolute[0].length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const mark = rest.indexOf('?');
  return mark < 0 ? { path: rest, query: '' } : { path: rest.slice(0, mark), query: rest.slice(mark + 1) };
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
