import type { Logger, QueueConsumer, QueueMessage, QueueProducer } from '@inflow/core';
import { deadLetterOf } from './dead-letter-reason.js';
import { ReconnectingSocket } from './reconnecting-socket.js';
import { StallWatch, type StallWatchOptions } from './stall-watch.js';

export interface WsConsumerOptions {
  /** ws://host:port/ws/v2/consumer/persistent/tenant/ns/topic/subscription */
  url: string;
  subscription: string;
  topicName: string;
  receiverQueueSize: number;
  maxRedeliveries: number;
  redeliveryDelayMs: number;
  /** Where deadLetter() and exhausted nacks put a message, with the reason in its properties. */
  deadLetters: QueueProducer;
  /** Full name of the dead-letter topic, also given to the broker as its own safety net. */
  deadLetterTopicName: string;
  logger: Logger;
  /** How long the consumer may go without progress while idle before it asks for the backlog (0: never; see StallWatch). */
  stallCheckMs?: number;
  /** This subscription's backlog over every partition and the partitions where no consumer holds it (StallWatch). */
  backlog?: StallWatchOptions['backlog'];
  /** Unloads partitions of the topic (StallWatch). */
  unload?: StallWatchOptions['unload'];
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
 * consumer in order, several consumers share a subscription. Messages wait in a local
 * buffer until receive() takes them; after a dropped connection the broker delivers again
 * whatever was not acknowledged, so the buffer is emptied.
 * A StallWatch reconnects it when it stays idle while the subscription has a backlog.
 */
export class WsConsumer implements QueueConsumer {
  private readonly socket: ReconnectingSocket;
  private buffer: QueueMessage[] = [];
  private waiter: (() => void) | null = null;
  /** Messages receive() handed out and not yet acknowledged, nacked or dead-lettered. */
  private inHand = 0;
  private readonly stallWatch: StallWatch | undefined;

  constructor(private readonly options: WsConsumerOptions) {
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
          // What was in hand is delivered again; its late acks change nothing on the new connection.
          this.inHand = 0;
        },
      },
      options.logger,
    );
    const { stallCheckMs = 0, backlog, unload } = options;
    if (stallCheckMs > 0 && backlog && unload) {
      this.stallWatch = new StallWatch({
        everyMs: stallCheckMs,
        idle: () => this.socket.isOpen && this.buffer.length === 0 && this.inHand === 0,
        backlog,
        reconnect: () => this.socket.reconnect(),
        unload,
        label: `${options.topicName} (${options.subscription})`,
        logger: options.logger,
      });
    }
  }

  whenOpen(): Promise<void> {
    return this.socket.whenOpen();
  }

  async receive(max: number, waitMs: number): Promise<QueueMessage[]> {
    if (this.buffer.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, waitMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
      });
    }
    const taken = this.buffer.splice(0, max);
    this.inHand += taken.length;
    return taken;
  }

  async ack(messages: QueueMessage[]): Promise<void> {
    this.settled(messages.length);
    for (const message of messages) this.socket.send(JSON.stringify({ messageId: message.id }));
  }

  async nack(messages: QueueMessage[], reason: string): Promise<void> {
    this.settled(messages.length);
    for (const message of messages) {
      if (message.redeliveryCount >= this.options.maxRedeliveries) {
        await this.deadLetter(message, `${reason} (after ${message.redeliveryCount + 1} deliveries)`);
      } else {
        this.socket.send(JSON.stringify({ type: 'negativeAcknowledge', messageId: message.id }));
      }
    }
  }

  async deadLetter(message: QueueMessage, reason: string): Promise<void> {
    await this.deadLetterPart(message, message.data, reason);
    await this.ack([message]);
  }

  private settled(count: number): void {
    this.inHand = Math.max(0, this.inHand - count);
    this.stallWatch?.progress(false);
  }

  async deadLetterPart(message: QueueMessage, data: Uint8Array, whole: string): Promise<void> {
    await this.options.deadLetters.send([deadLetterOf(message, data, whole, this.options.topicName, this.options.subscription)]);
  }

  async close(): Promise<void> {
    this.stallWatch?.close();
    await this.socket.close();
    this.waiter?.();
  }

  private deliver(delivered: Delivered): void {
    if (typeof delivered?.messageId !== 'string' || typeof delivered.payload !== 'string') return;
    this.buffer.push({
      id: delivered.messageId,
      key: delivered.key ?? '',
      data: Buffer.from(delivered.payload, 'base64'),
      redeliveryCount: delivered.redeliveryCount ?? 0,
      publishedAt: delivered.publishTime ? Date.parse(delivered.publishTime) : Date.now(),
    });
    this.stallWatch?.progress(true);
    this.waiter?.();
  }
}
