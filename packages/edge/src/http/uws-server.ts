import type { HttpRequest as UwsRequest, HttpResponse, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '@inflow/core';
import { REQUEST_HEADERS, statusLine, type HttpReply, type HttpRequest, type HttpServer, type ServerOptions } from './http-types.js';
import { internalError, payloadTooLarge, requestTimeout } from './replies.js';
import { DRAINED_BYTES, readsBeforeRefusing, refusalBeforeBody } from './early-refusals.js';
import { Deadlines, type Deadline } from './deadlines.js';
import type { UwsModule } from './load-uws.js';
import { requestIdOf } from './request-id.js';

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);
const EMPTY = Buffer.alloc(0);

/**
 * Serves a transport-neutral handler on uWebSockets.js: reads the body under a size cap and
 * a deadline, and answers inside cork. Nothing here knows about /track.
 */
export function listenUws(uws: UwsModule, options: ServerOptions, logger: Logger): Promise<HttpServer> {
  const app = uws.App();
  const bodyDeadlines = new Deadlines(options.requestTimeoutMs);
  let inFlight = 0;
  const { meter, requestIds } = options;

  app.any('/*', (res, req) => {
    const started = meter ? performance.now() : 0;
    const request = new PendingRequest(res, req, requestIds);
    inFlight += 1;
    let done = false;
    // eslint-disable-next-line prefer-const -- set below, once the request turns out to have a body
    let deadline: Deadline | undefined;
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      request.closed = true;
      inFlight -= 1;
      if (deadline) bodyDeadlines.clear(deadline);
      return true;
    };
    const finish = (reply: HttpReply, closeConnection = false): void => {
      if (!settle()) return;
      res.cork(() => write(res, reply, closeConnection, request.requestId, request.method === 'HEAD'));
      meter?.answered(request.route ?? '', reply.status, (performance.now() - started) / 1000, request.body.byteLength);
    };
    // Registered before anything can wait: from then on the response may go away at any time.
    res.onAborted(() => {
      if (settle()) request.aborted = true;
    });
    const run = (): void => {
      options.handler(request).then(finish, (error: unknown) => {
        logger.error(`handler failed on ${request.method} ${request.path}: ${(error as Error).stack ?? String(error)}`);
        finish(internalError());
      });
    };

    const early = (reply: HttpReply): HttpReply => (options.earlyReply ? options.earlyReply(request.headers['origin'], reply, request.path) : reply);
    // The answer to a body over the limit, given once the body is read (see readsBeforeRefusing); counted (early) when sent.
    let tooLarge: HttpReply | undefined;
    const refusal = refusalBeforeBody(request.headers, options.maxBodyBytes);
    if (refusal) {
      // uWS has sent `100 Continue` to an `Expect: 100-continue` in that spelling alone: a client asking otherwise waits.
      const expect = req.getHeader('expect');
      if (refusal.status !== 413 || !readsBeforeRefusing(Number(request.headers['content-length']), expect === '' || expect === '100-continue')) return finish(early(refusal), true);
      tooLarge = refusal;
    } else if (BODYLESS.has(request.method) || (Number(request.headers['content-length'] ?? '0') === 0 && request.headers['transfer-encoding'] === undefined)) return run();

    // A body refused already gets its own answer at the deadline, not the 408.
    deadline = bodyDeadlines.set(() => finish(early(tooLarge ?? requestTimeout(options.requestTimeoutMs)), true));
    let chunks: Buffer[] | undefined;
    let received = 0;
    res.onData((chunk, isLast) => {
      if (done) return;
      received += chunk.byteLength;
      if (received > options.maxBodyBytes && !tooLarge) {
        tooLarge = payloadTooLarge(options.maxBodyBytes);
        chunks = undefined;
      }
      if (tooLarge) {
        // Dropped as it comes; answered at its end, or at once past what is read before refusing.
        if (isLast || received > DRAINED_BYTES) finish(early(tooLarge), true);
        return;
      }
      // uWS empties the chunk when this callback returns: copy it (into Node's buffer pool when small).
      const copy = Buffer.from(new Uint8Array(chunk));
      if (!isLast) {
        (chunks ??= []).push(copy);
        return;
      }
      bodyDeadlines.clear(deadline as Deadline);
      request.body = chunks ? Buffer.concat([...chunks, copy]) : copy;
      run();
    });
  });

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (socket: us_listen_socket | false) => {
      if (!socket) return reject(new Error(`cannot listen on ${options.host}:${options.port}`));
      let listening: us_listen_socket | null = socket;
      resolve({
        port: uws.us_socket_local_port(socket),
        inFlight: () => inFlight,
        stopListening: () => {
          if (listening) uws.us_listen_socket_close(listening);
          listening = null;
        },
      });
    });
  });
}

/**
 * What the handler sees of a uWS request. uWS's request object lives only until the route
 * callback returns, so everything is read at once, and only the headers handlers use (one
 * native call each, instead of one callback per header the client sent). The client's address
 * costs an ArrayBuffer, so it is read when asked for, while the response is still there.
 * (A class, not an object literal with a getter: such a literal costs more than the getter
 * saves, and makes V8 promote request garbage into the old generation.)
 */
class PendingRequest implements HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string> = {};
  readonly requestId: string | undefined;
  route: string | undefined = undefined;
  body: Buffer = EMPTY;
  /** Set once answered or aborted: uWS's response object may no longer be touched. */
  closed = false;
  /** Set when the client went away before the answer. */
  aborted = false;
  private address: string | undefined;

  constructor(
    private readonly res: HttpResponse,
    req: UwsRequest,
    requestIds: ServerOptions['requestIds'],
  ) {
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    for (const name of REQUEST_HEADERS) {
      const value = req.getHeader(name);
      if (value !== '') this.headers[name] = value;
    }
    // The caller's id is read (one more native call) only where it may be kept.
    this.requestId = requestIds ? requestIdOf(requestIds.trustHeader ? req.getHeader('x-request-id') : undefined, requestIds.trustHeader) : undefined;
  }

  get remoteAddress(): string {
    this.address ??= this.closed ? '' : Buffer.from(this.res.getRemoteAddressAsText()).toString('latin1');
    return this.address;
  }
}

/**
 * The reply in uWS's order: status, headers, body. An answer to HEAD says its length in a header
 * of its own and ends without a body (uWS's endWithoutBody(length) waits for that many bytes
 * and closes the connection at the next request).
 */
function write(res: HttpResponse, reply: HttpReply, closeConnection: boolean, requestId: string | undefined, head: boolean): void {
  res.writeStatus(statusLine(reply.status));
  if (requestId !== undefined) res.writeHeader('x-request-id', requestId);
  if (reply.headers) for (const name in reply.headers) res.writeHeader(name, reply.headers[name] as string);
  // endWithoutBody() without arguments: an explicit undefined length is sent as 2^63. A reply that
  // closes the connection (an early refusal) goes with an empty body instead, which closes it.
  if (head && !closeConnection) res.writeHeader('content-length', String(Buffer.byteLength(reply.body))).endWithoutBody();
  else res.end(head ? '' : reply.body, closeConnection);
}
