import { bucketOf, type Logger, type OutgoingMessage, type QueueProducer } from '@inflow/core';
import type { PulsarToken } from './pulsar-auth.js';
import { Receipts } from './receipts.js';
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
  /** Pulsar's token authentication, when the cluster requires it. */
  auth?: PulsarToken | undefined;
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
  private readonly receipts = new Receipts();
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
            onDrop: (reason) => this.receipts.fail(reason, index),
          },
          options.logger,
          options.auth,
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
    // A second beyond the proxy's own send timeout, so its answer comes first.
    return this.receipts.expect(Number(context), () => socket.send(frame), this.options.sendTimeoutMs + 1_000, index);
  }

  private answer(answer: ProducerAnswer): void {
    if (answer?.context === undefined) return;
    this.receipts.settle(Number(answer.context), answer.result === 'ok' ? undefined : `${answer.result ?? ''} ${answer.errorMsg ?? ''}`.trim());
  }
}
