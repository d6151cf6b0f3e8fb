import WebSocket from 'ws';
import type { Logger } from '@inflow/core';
import { authHint } from './pulsar-admin.js';
import { pulsarAuthHeaders, type PulsarToken } from './pulsar-auth.js';
import { Backoff, OpenLatch } from './waits.js';

export interface SocketHandlers {
  onOpen(): void;
  /** A frame, already parsed from JSON (frames that are not JSON are logged and skipped). */
  onFrame(frame: unknown): void;
  /** The connection is gone; everything sent and not answered is lost with it. */
  onDrop(reason: string): void;
}

/** Pings keep an idle connection from the proxy's idle timeout and find dead ones. */
const PING_EVERY_MS = 30_000;

/**
 * A WebSocket that reconnects with capped exponential backoff until closed. Pulsar's
 * WebSocket API ties one producer or consumer to one connection, so a drop (broker restart)
 * is reported to the owner, which fails or forgets what was in flight.
 */
export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private closed = false;
  /** Frames of this tick are being gathered into one write. */
  private corked = false;
  private readonly backoff = new Backoff();
  private timer: NodeJS.Timeout | undefined;
  private readonly latch = new OpenLatch();

  constructor(
    private readonly url: string,
    private readonly handlers: SocketHandlers,
    private readonly logger: Logger,
    private readonly auth?: PulsarToken,
  ) {
    this.connect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Resolves when connected (now or after the next reconnect). */
  whenOpen(): Promise<void> {
    return this.latch.whenOpen(this.isOpen);
  }

  send(text: string): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    this.corkUntilTickEnd(socket);
    socket.send(text);
    return true;
  }

  /**
   * Frames sent in one tick (a burst of batches cut as the broker's receipts arrive) leave in
   * one write, one system call, instead of one each. ws keeps its TCP socket in `_socket`; a
   * version without it sends each frame alone, as before.
   */
  private corkUntilTickEnd(socket: WebSocket): void {
    if (this.corked) return;
    const stream = (socket as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return;
    this.corked = true;
    stream.cork();
    process.nextTick(() => {
      this.corked = false;
      stream.uncork?.();
    });
  }

  /** Drops the connection now and opens a new one (the owner hears onDrop, as for any drop). */
  reconnect(): void {
    this.socket?.terminate();
  }

  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2_000).unref();
    });
  }

  private connect(): void {
    if (this.closed) return;
    let headers: Record<string, string>;
    try {
      headers = pulsarAuthHeaders(this.auth);
    } catch (error) {
      // The token file cannot be read now: tried again after a pause, as for a broker away.
      this.logger.warn(`pulsar connection not opened: ${(error as Error).message}`, { url: this.url });
      this.timer = setTimeout(() => this.connect(), this.backoff.next());
      return;
    }
    const socket = new WebSocket(this.url, { perMessageDeflate: false, headers });
    this.socket = socket;
    let dropped = false;
    let answered = true;
    const pinger = setInterval(() => {
      if (!answered) return socket.terminate();
      answered = false;
      socket.ping();
    }, PING_EVERY_MS);
    pinger.unref();
    socket.on('pong', () => (answered = true));
    const drop = (reason: string): void => {
      if (dropped) return;
      dropped = true;
      clearInterval(pinger);
      this.handlers.onDrop(reason);
      if (this.closed) return;
      const pause = this.backoff.next();
      this.logger.warn(`pulsar connection lost (${reason}); reconnecting in ${pause} ms`, { url: this.url });
      this.timer = setTimeout(() => this.connect(), pause);
    };
    socket.on('open', () => {
      this.backoff.reset();
      this.latch.open();
      this.handlers.onOpen();
    });
    socket.on('message', (data) => {
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        this.logger.warn('pulsar sent a frame that is not JSON', { url: this.url });
        return;
      }
      this.handlers.onFrame(frame);
    });
    // A refused upgrade (401 without a token, 404 for an unknown topic) says why in the log.
    socket.on('unexpected-response', (_request, response) => {
      drop(`the broker answered ${response.statusCode ?? 'nothing'}${authHint(response.statusCode ?? 0, this.auth)}`);
      socket.terminate();
    });
    socket.on('error', (error) => drop(error.message));
    socket.on('close', (code) => drop(`closed with ${code}`));
  }
}
