import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { QueueUnavailableError } from '@inflow/core';
import { credentialsHint, type PulsarToken } from '../pulsar-auth.js';
import { Command, decodeFrame, type IncomingFrame, PROTOCOL_VERSION, serverError, simpleFrame } from './commands.js';
import type { ProtoWriter } from './protobuf.js';

/** What owns a producer or consumer id on a connection: its frames, and the end of the connection. */
export interface ConnectionHandler {
  frame(frame: IncomingFrame): void;
  /** The connection is gone, or the broker closed this producer or consumer (topic unloaded). */
  closed(reason: string): void;
}

interface PendingRequest {
  resolve(frame: IncomingFrame): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const REQUEST_TIMEOUT_MS = 10_000;
/** A ping when nothing came for this long; no frame for twice as long ends the connection. */
const KEEPALIVE_MS = 30_000;
/** Largest frame accepted from a broker (its default maxMessageSize is 5 MB, plus headers). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** The authentication method Pulsar's token provider answers to. */
const TOKEN_METHOD = 'token';
/** ServerError codes of a refused handshake (PulsarApi.proto). */
const AUTHENTICATION_ERROR = 3;

/**
 * The broker answered the handshake with an error. Retryable for producers and consumers (a
 * rotated token file is read again on the next connection), but a refused credential is no
 * outage to wait out at start.
 */
export class BrokerRefusedError extends QueueUnavailableError {
  constructor(
    message: string,
    readonly credentials: boolean,
  ) {
    super(message, 5);
    this.name = 'BrokerRefusedError';
  }
}

/**
 * One TCP connection to a Pulsar broker speaking its binary protocol. Producers and consumers
 * register under the ids they chose; requests (lookup, producer, subscribe) are answered by
 * request id. Frames written in one tick leave in one write.
 */
export class BrokerConnection {
  private readonly handlers = new Map<number, ConnectionHandler>();
  private readonly requests = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private corked = false;
  private lastFrameAt = Date.now();
  private readonly keepalive: NodeJS.Timeout;
  private closedReason: string | null = null;
  private readonly connected: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    /** The broker this connection reaches (pulsar://host:port), as lookups name it. */
    readonly brokerUrl: string,
    proxyToBrokerUrl: string | undefined,
    private readonly auth: PulsarToken | undefined,
  ) {
    socket.setNoDelay(true);
    this.connected = new Promise<void>((resolve, reject) => {
      this.requests.set(0, { resolve: () => resolve(), reject, timer: setTimeout(() => this.destroy('no CONNECTED within 10 s'), REQUEST_TIMEOUT_MS) });
    });
    // A TLS socket is ready for the handshake once its own handshake is done.
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
      let token: string | undefined;
      try {
        token = this.auth?.value();
      } catch (error) {
        return this.destroy((error as Error).message);
      }
      this.write(
        simpleFrame(Command.CONNECT, (connect) => {
          connect.string(1, 'inflow');
          if (token !== undefined) connect.raw(3, Buffer.from(token));
          connect.uint(4, PROTOCOL_VERSION);
          if (token !== undefined) connect.string(5, TOKEN_METHOD);
          if (proxyToBrokerUrl) connect.string(6, proxyToBrokerUrl);
          // supports_auth_refresh: a broker whose token check expires asks again (AUTH_CHALLENGE) instead of closing.
          if (token !== undefined) connect.message(10, (flags) => flags.bool(1, true));
        }),
      );
    });
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.destroy(error.message, error));
    socket.on('close', () => this.destroy('connection closed'));
    this.keepalive = setInterval(() => {
      const quiet = Date.now() - this.lastFrameAt;
      if (quiet > 2 * KEEPALIVE_MS) this.destroy('broker stopped answering pings');
      else if (quiet >= KEEPALIVE_MS) this.write(simpleFrame(Command.PING, () => undefined));
    }, KEEPALIVE_MS / 2);
    this.keepalive.unref();
  }

  /** Connects to `address` (host:port) and completes the handshake; through a proxy when `proxyTo` is given. */
  static async open(address: URL, brokerUrl: string, proxyTo?: string, auth?: PulsarToken): Promise<BrokerConnection> {
    const host = address.hostname.replace(/^\[(.*)\]$/, '$1');
    // pulsar+ssl://: TLS, with the certificate checked against Node's trusted CAs (NODE_EXTRA_CA_CERTS adds a private one).
    const socket =
      address.protocol === 'pulsar+ssl:'
        ? tlsConnect({ host, port: Number(address.port || 6651), ...(isIP(host) ? {} : { servername: host }) })
        : connect({ host, port: Number(address.port || 6650) });
    const connection = new BrokerConnection(socket, brokerUrl, proxyTo, auth);
    await connection.connected;
    return connection;
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  register(id: number, handler: ConnectionHandler): void {
    this.handlers.set(id, handler);
  }

  unregister(id: number): void {
    this.handlers.delete(id);
  }

  /** Sends a command that carries a request id (field `requestIdField`) and waits for its answer. */
  request(type: number, requestIdField: number, write: (command: ProtoWriter) => void): Promise<IncomingFrame> {
    if (this.closedReason !== null) return Promise.reject(new QueueUnavailableError(`pulsar connection closed (${this.closedReason})`, 2));
    const requestId = this.nextRequestId++;
    return new Promise<IncomingFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(requestId);
        reject(new QueueUnavailableError(`pulsar did not answer within ${REQUEST_TIMEOUT_MS} ms`, 2));
      }, REQUEST_TIMEOUT_MS);
      this.requests.set(requestId, { resolve, reject, timer });
      this.write(
        simpleFrame(type, (command) => {
          write(command);
          command.uint(requestIdField, requestId);
        }),
      );
    });
  }

  /** Writes a frame; false when the connection is closed. */
  write(frame: Buffer): boolean {
    if (this.closedReason !== null) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
    return true;
  }

  /** Ends the connection after what was written (acknowledgements, closes) has left; no more writes. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2_000).unref();
    this.shutDown(reason);
  }

  /** `cause`: the socket's error, kept on what the pending requests are rejected with (a certificate problem stays recognisable). */
  destroy(reason: string, cause?: Error): void {
    if (this.closedReason !== null) return;
    this.socket.destroy();
    this.shutDown(reason, cause);
  }

  private shutDown(reason: string, cause?: Error): void {
    this.closedReason = reason;
    clearInterval(this.keepalive);
    for (const [id, request] of this.requests) {
      clearTimeout(request.timer);
      request.reject(new QueueUnavailableError(`pulsar connection lost (${reason})`, 2, cause ? { cause } : undefined));
      this.requests.delete(id);
    }
    const handlers = [...this.handlers.values()];
    this.handlers.clear();
    for (const handler of handlers) handler.closed(reason);
  }

  private receive(chunk: Buffer): void {
    this.lastFrameAt = Date.now();
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    while (this.bufferedBytes >= 4) {
      // Chunks are joined only once the whole frame is here (a large message comes in many).
      const first = this.buffered[0] as Buffer;
      const size = first.length >= 4 ? first.readUInt32BE(0) : Buffer.concat(this.buffered, 4).readUInt32BE(0);
      if (size > MAX_FRAME_BYTES) return this.destroy(`broker sent a frame of ${size} bytes`);
      if (this.bufferedBytes < 4 + size) return;
      const head = this.buffered.length === 1 ? first : Buffer.concat(this.buffered, this.bufferedBytes);
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
      try {
        this.dispatch(decodeFrame(frame));
      } catch (error) {
        return this.destroy(`broker sent a frame this client cannot read: ${(error as Error).message}`);
      }
    }
  }

  private dispatch(frame: IncomingFrame): void {
    const { type, command } = frame;
    switch (type) {
      case Command.CONNECTED:
        return this.answer(0, frame);
      case Command.AUTH_CHALLENGE:
        return this.answerChallenge();
      case Command.PING:
        this.write(simpleFrame(Command.PONG, () => undefined));
        return;
      case Command.PONG:
        return;
      case Command.SEND_RECEIPT:
      case Command.SEND_ERROR:
      case Command.MESSAGE:
        this.handlers.get(command.uint(1))?.frame(frame);
        return;
      case Command.CLOSE_PRODUCER:
      case Command.CLOSE_CONSUMER: {
        const id = command.uint(1);
        const handler = this.handlers.get(id);
        this.handlers.delete(id);
        handler?.closed(type === Command.CLOSE_PRODUCER ? 'the broker closed the producer' : 'the broker closed the consumer');
        return;
      }
      case Command.PRODUCER_SUCCESS:
        // A producer that is not ready yet gets another PRODUCER_SUCCESS when it is.
        if (!command.bool(6, true)) return;
        return this.answer(command.uint(1), frame);
      case Command.ERROR:
        // A refused handshake, or a refused answer to a later AUTH_CHALLENGE, names no request of
        // ours; the broker closes the connection next, and the reason is kept for the log.
        if (!this.requests.has(command.uint(1)) && (this.requests.has(0) || command.uint(2) === AUTHENTICATION_ERROR)) return this.refuseConnection(frame);
        return this.answer(command.uint(1), frame);
      case Command.SUCCESS:
      case Command.PARTITIONED_METADATA_RESPONSE:
        return this.answer(command.uint(type === Command.PARTITIONED_METADATA_RESPONSE ? 2 : 1), frame);
      case Command.LOOKUP_RESPONSE:
        return this.answer(command.uint(4), frame);
      default:
        return;
    }
  }

  /**
   * The broker checks the connection's credentials again (a token that expires): it gets the
   * token as it is now (a rotated file's new one). Without a token there is nothing to show, and
   * the broker ends the connection.
   */
  private answerChallenge(): void {
    let token: string | undefined;
    try {
      token = this.auth?.value();
    } catch (error) {
      return this.destroy(`cannot answer the broker's authentication challenge: ${(error as Error).message}`);
    }
    if (token === undefined) return this.destroy('the broker asked for credentials and none are configured (INFLOW_PULSAR_TOKEN)');
    this.write(
      simpleFrame(Command.AUTH_RESPONSE, (response) => {
        response.string(1, 'inflow');
        response.message(2, (data) => data.string(1, TOKEN_METHOD).raw(2, Buffer.from(token)));
        response.uint(3, PROTOCOL_VERSION);
      }),
    );
  }

  private refuseConnection(frame: IncomingFrame): void {
    const code = frame.command.uint(2);
    const hint = code === AUTHENTICATION_ERROR ? ` (${credentialsHint(this.auth)})` : '';
    const reason = `pulsar refused the connection: ${serverError(code)} ${frame.command.string(3) ?? ''}`.trim() + hint;
    const handshake = this.requests.get(0);
    this.requests.delete(0);
    if (handshake) {
      clearTimeout(handshake.timer);
      handshake.reject(new BrokerRefusedError(reason, code === AUTHENTICATION_ERROR));
    }
    this.destroy(reason);
  }

  private answer(requestId: number, frame: IncomingFrame): void {
    const request = this.requests.get(requestId);
    if (!request) return;
    this.requests.delete(requestId);
    clearTimeout(request.timer);
    if (frame.type === Command.ERROR) request.reject(new QueueUnavailableError(`pulsar refused: ${serverError(frame.command.uint(2))} ${frame.command.string(3) ?? ''}`.trim(), 2));
    else request.resolve(frame);
  }
}
