import { errorMessage, type Logger, type QueueConsumer, type QueueMessage, type QueueProducer } from '@inflow/core';
import { ENCODED_REASON } from './dead-letter-reason.js';
import { ReconnectingSocket } from './reconnecting-socket.js';

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
  /** How long the consumer may go without deliveries while idle before it asks for the backlog (0: never). */
  stallCheckMs?: number;
  /** This subscription's backlog (messages not acknowledged yet) on every partition. */
  backlog?: () => Promise<number>;
}

/** The longest pause between two reconnects of a consumer that stays stalled. */
const MAX_STALL_PAUSE_MS = 300_000;

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
 *
 * A stall watch: a consumer with nothing in hand that has received nothing for a while asks
 * for its subscription's backlog, and when two checks in a row find one, it reconnects (the
 * broker then hands out the subscription's messages again). Seen rarely, under load, after a
 * consumer of the subscription was killed and another joined: every consumer idle, a backlog
 * left. Reconnects that do not help come further apart, up to MAX_STALL_PAUSE_MS.
 */
export class WsConsumer implements QueueConsumer {
  private readonly socket: ReconnectingSocket;
  private buffer: QueueMessage[] = [];
  private waiter: (() => void) | null = null;
  /** Messages receive() handed out and not yet acknowledged, nacked or dead-lettered. */
  private inHand = 0;
  private lastProgressAt = Date.now();
  private readonly stallWatch: NodeJS.Timeout | undefined;
  private stallChecking = false;
  private stallSuspected = false;
  private stallReconnects = 0;
  private nextReconnectAt = 0;

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
    const every = options.stallCheckMs ?? 0;
    if (every > 0 && options.backlog) {
      this.stallWatch = setInterval(() => void this.checkStall(every), every);
      this.stallWatch.unref();
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
    this.lastProgressAt = Date.now();
  }

  /** See the class comment: reconnects when idle with a backlog on two checks in a row. */
  private async checkStall(everyMs: number): Promise<void> {
    const now = Date.now();
    const idle = this.socket.isOpen && this.buffer.length === 0 && this.inHand === 0 && now - this.lastProgressAt >= everyMs;
    if (!idle || this.stallChecking || now < this.nextReconnectAt || !this.options.backlog) {
      if (!idle) this.stallSuspected = false;
      return;
    }
    this.stallChecking = true;
    try {
      const backlog = await this.options.backlog();
      if (backlog === 0 || !this.socket.isOpen || this.inHand > 0 || this.buffer.length > 0) {
        this.stallSuspected = false;
      } else if (!this.stallSuspected) {
        this.stallSuspected = true;
      } else {
        this.stallSuspected = false;
        this.stallReconnects += 1;
        this.nextReconnectAt = now + Math.min(MAX_STALL_PAUSE_MS, everyMs * 2 ** this.stallReconnects);
        this.options.logger.warn(
          `${this.options.topicName} (${this.options.subscription}): nothing delivered for ${Math.round((now - this.lastProgressAt) / 1000)} s while the subscription has a backlog of ${backlog}; reconnecting`,
        );
        this.socket.reconnect();
      }
    } catch (error) {
      this.options.logger.debug(`${this.options.topicName}: stall check could not read the backlog: ${errorMessage(error)}`);
    } finally {
      this.stallChecking = false;
    }
  }

  async deadLetterPart(message: QueueMessage, data: Uint8Array, reason: string): Promise<void> {
    await this.options.deadLetters.send([
      {
        key: message.key,
        data,
        properties: {
          reason,
          // The admin API returns properties in an HTTP header, which keeps only Latin-1: this copy survives any script.
          [ENCODED_REASON]: encodeURIComponent(reason),
          topic: this.options.topicName,
          subscription: this.options.subscription,
          redeliveryCount: String(message.redeliveryCount),
          failedAt: new Date().toISOString(),
        },
      },
    ]);
  }

  async close(): Promise<void> {
    clearInterval(this.stallWatch);
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
    this.lastProgressAt = Date.now();
    this.stallReconnects = 0;
    this.nextReconnectAt = 0;
    this.waiter?.();
  }
}
