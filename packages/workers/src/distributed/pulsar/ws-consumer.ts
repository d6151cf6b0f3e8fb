import type { QueueMessage } from '@inflow/core';
import { BufferedConsumer, type BufferedConsumerOptions } from './buffered-consumer.js';
import type { PulsarToken } from './pulsar-auth.js';
import { ReconnectingSocket } from './reconnecting-socket.js';

export interface WsConsumerOptions extends BufferedConsumerOptions {
  /** ws://host:port/ws/v2/consumer/persistent/tenant/ns/topic/subscription */
  url: string;
  /** Full name of the dead-letter topic, also given to the broker as its own safety net. */
  deadLetterTopicName: string;
  /** Pulsar's token authentication, when the cluster requires it. */
  auth?: PulsarToken | undefined;
}

interface Delivered {
  messageId: string;
  payload: string;
  key?: string;
  redeliveryCount?: number;
  publishTime?: string;
}

/**
 * A Key_Shared consumer over Pulsar's WebSocket API: one profile's messages go to one
 * consumer in order, several consumers share a subscription. After a dropped connection the
 * broker delivers again whatever was not acknowledged, so the buffer is emptied.
 */
export class WsConsumer extends BufferedConsumer {
  private readonly socket: ReconnectingSocket;

  constructor(options: WsConsumerOptions) {
    super(options);
    const params = new URLSearchParams({
      subscriptionType: 'Key_Shared',
      receiverQueueSize: String(options.receiverQueueSize),
      negativeAckRedeliveryDelay: String(options.redeliveryDelayMs),
      subscriptionInitialPosition: 'Earliest',
      // The broker's own dead-letter policy one step after ours, for messages that never reach nack.
      maxRedeliverCount: String(options.maxRedeliveries + 1),
      deadLetterTopic: options.deadLetterTopicName,
    });
    this.socket = new ReconnectingSocket(
      `${options.url}?${params.toString()}`,
      {
        onOpen: () => options.logger.info(`subscribed to ${options.topicName} as ${options.subscription}`),
        onFrame: (frame) => this.deliver(frame as Delivered),
        onDrop: () => {
          this.buffer = [];
        },
      },
      options.logger,
      options.auth,
    );
  }

  whenOpen(): Promise<void> {
    return this.socket.whenOpen();
  }

  override async close(): Promise<void> {
    await this.socket.close();
    await super.close();
  }

  protected get connected(): boolean {
    return this.socket.isOpen;
  }

  protected reconnect(): void {
    this.socket.reconnect();
  }

  protected acknowledge(messages: QueueMessage[]): void {
    for (const message of messages) this.socket.send(JSON.stringify({ messageId: message.id }));
  }

  protected redeliver(messages: QueueMessage[]): void {
    for (const message of messages) this.socket.send(JSON.stringify({ type: 'negativeAcknowledge', messageId: message.id }));
  }

  private deliver(delivered: Delivered): void {
    if (typeof delivered?.messageId !== 'string' || typeof delivered.payload !== 'string') return;
    this.arrived({
      id: delivered.messageId,
      key: delivered.key ?? '',
      data: Buffer.from(delivered.payload, 'base64'),
      redeliveryCount: delivered.redeliveryCount ?? 0,
      publishedAt: delivered.publishTime ? Date.parse(delivered.publishTime) : Date.now(),
    });
  }
}
