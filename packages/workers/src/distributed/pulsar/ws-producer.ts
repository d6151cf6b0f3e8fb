import { bucketOf, type Logger, type OutgoingMessage, type QueueProducer, QueueUnavailableError } from '@inflow/core';
import { ReconnectingSocket } from './reconnecting-socket.js';
import { withTimeout } from './waits.js';

export interface WsProducerOptions {
  /** ws://host:port/ws/v2/producer/persistent/tenant/ns/topic */
  url: string;
  /** Connections in the pool; one key always uses the same one, so its messages stay in order. */
  connections: number;
  /**
   * Let the broker batch messages (throughput). Only for topics whose consumers do not need
   * one key's messages in order: a batch mixes keys, and Key_Shared dispatches it whole.
   */
  batching: boolean;
  sendTimeoutMs: number;
  logger: Logger;
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  socket: number;
}

interface ProducerAnswer {
  result?: string;
  errorMsg?: string;
  context?: string;
}

/**
 * A Pulsar producer over the broker's WebSocket API. Each message resolves when the broker
 * has persisted it; a timeout, an error or a dropped connection rejects with
 * QueueUnavailableError (the edge answers 503, nothing counts as accepted).
 */
export class WsProducer implements QueueProducer {
  private readonly sockets: ReconnectingSocket[];
  private readonly pending = new Map<string, Pending>();
  private nextContext = 0;

  constructor(private readonly options: WsProducerOptions) {
    const params = new URLSearchParams({
      sendTimeoutMillis: String(options.sendTimeoutMs),
      batchingEnabled: String(options.batching),
      batchingMaxPublishDelay: '5',
      hashingScheme: 'Murmur3_32Hash',
      maxPendingMessages: '10000',
    });
    this.sockets = Array.from(
      { length: options.connections },
      (_, index) =>
        new ReconnectingSocket(
          `${options.url}?${params.toString()}`,
          {
            onOpen: () => undefined,
            onFrame: (frame) => this.answer(frame as ProducerAnswer),
            onDrop: (reason) => this.failSocket(index, reason),
          },
          options.logger,
        ),
    );
  }

  /** Resolves once every socket is connected (or rejects after `ms`). */
  async ready(ms: number): Promise<void> {
    await withTimeout(Promise.all(this.sockets.map((socket) => socket.whenOpen())), ms, `pulsar producer not connected within ${ms} ms`, 5);
  }

  /** Every connection of the pool is open. */
  get connected(): boolean {
    return this.sockets.every((socket) => socket.isOpen);
  }

  send(messages: OutgoingMessage[]): Promise<void> {
    return Promise.all(messages.map((message) => this.sendOne(message))).then(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((socket) => socket.close()));
  }

  private async sendOne(message: OutgoingMessage): Promise<void> {
    // One key always takes the same connection, so its messages stay in order.
    const index = bucketOf(message.key, this.sockets.length);
    const socket = this.sockets[index] as ReconnectingSocket;
    // A socket that is (re)connecting gets up to the send timeout before the message is refused.
    if (!socket.isOpen) await withTimeout(socket.whenOpen(), this.options.sendTimeoutMs, 'pulsar is not connected');
    const context = String(this.nextContext++);
    const frame = JSON.stringify({
      payload: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength).toString('base64'),
      key: message.key,
      context,
      ...(message.properties ? { properties: message.properties } : {}),
    });
    return new Promise((resolve, reject) => {
      if (!socket.send(frame)) {
        reject(new QueueUnavailableError('pulsar is not connected', 2));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(context);
        reject(new QueueUnavailableError(`pulsar did not confirm within ${this.options.sendTimeoutMs} ms`, 2));
      }, this.options.sendTimeoutMs + 1_000);
      this.pending.set(context, { resolve, reject, timer, socket: index });
    });
  }

  private answer(answer: ProducerAnswer): void {
    if (answer?.context === undefined) return;
    const pending = this.pending.get(answer.context);
    if (!pending) return;
    this.pending.delete(answer.context);
    clearTimeout(pending.timer);
    if (answer.result === 'ok') pending.resolve();
    else pending.reject(new QueueUnavailableError(`pulsar refused the message: ${answer.result ?? ''} ${answer.errorMsg ?? ''}`.trim(), 2));
  }

  private failSocket(index: number, reason: string): void {
    for (const [context, pending] of this.pending) {
      if (pending.socket !== index) continue;
      this.pending.delete(context);
      clearTimeout(pending.timer);
      pending.reject(new QueueUnavailableError(`pulsar connection lost before it confirmed (${reason})`, 2));
    }
  }
}
