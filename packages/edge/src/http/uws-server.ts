import type { HttpResponse, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '@inflow/workers';
import { STATUS_TEXT, type HttpReply, type HttpRequest, type HttpServer, type ServerOptions } from './http-types.js';
import { internalError, payloadTooLarge, requestTimeout } from './replies.js';
import type { UwsModule } from './load-uws.js';

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * Serves a transport-neutral handler on uWebSockets.js: reads the body under a size cap and
 * a deadline, and answers inside cork. Nothing here knows about /track.
 */
export function listenUws(uws: UwsModule, options: ServerOptions, logger: Logger): Promise<HttpServer> {
  const app = uws.App();
  let inFlight = 0;

  app.any('/*', (res, req) => {
    const method = req.getMethod().toUpperCase();
    const headers: Record<string, string> = {};
    req.forEach((name, value) => {
      headers[name] = value;
    });
    const request: HttpRequest = {
      method,
      path: req.getUrl(),
      query: req.getQuery() ?? '',
      headers,
      body: EMPTY,
      remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    inFlight += 1;
    let done = false;
    // eslint-disable-next-line prefer-const -- set below, after the callbacks that clear it exist
    let timer: NodeJS.Timeout | undefined;
    const finish = (reply: HttpReply, closeConnection = false): void => {
      if (done) return;
      done = true;
      inFlight -= 1;
      clearTimeout(timer);
      res.cork(() => write(res, reply, closeConnection));
    };
    res.onAborted(() => {
      if (done) return;
      done = true;
      inFlight -= 1;
      clearTimeout(timer);
    });
    const run = (): void => {
      options.handler(request).then(finish, (error: unknown) => {
        logger.error(`handler failed on ${method} ${request.path}: ${(error as Error).stack ?? String(error)}`);
        finish(internalError());
      });
    };

    const declared = Number(headers['content-length'] ?? '0');
    if (BODYLESS.has(method) || (declared === 0 && !headers['transfer-encoding'])) return run();
    if (declared > options.maxBodyBytes) return finish(payloadTooLarge(options.maxBodyBytes), true);

    timer = setTimeout(
      () => finish(requestTimeout(options.requestTimeoutMs), true),
      options.requestTimeoutMs,
    );
    const chunks: Buffer[] = [];
    let received = 0;
    res.onData((chunk, isLast) => {
      if (done) return;
      received += chunk.byteLength;
      if (received > options.maxBodyBytes) return finish(payloadTooLarge(options.maxBodyBytes), true);
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      clearTimeout(timer);
      request.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
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

const EMPTY = Buffer.alloc(0);


function write(res: HttpResponse, reply: HttpReply, closeConnection: boolean): void {
  res.writeStatus(`${reply.status} ${STATUS_TEXT[reply.status] ?? ''}`);
  if (reply.headers) for (const name in reply.headers) res.writeHeader(name, reply.headers[name] as string);
  res.end(reply.body, closeConnection);
}
