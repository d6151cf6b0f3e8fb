import { BatchBudget, errorMessage, type Logger, type QueueConsumer, type QueueMessage, type QueueProducer } from '@inflow/core';
import { deadLetterOf } from './dead-letter-reason.js';
import { StallWatch, type StallWatchOptions } from './stall-watch.js';

/** What every Pulsar consumer is told, whichever transport carries it. */
export interface BufferedConsumerOptions {
  subscription: string;
  /** namespace/name, for logs and dead-letter properties. */
  topicName: string;
  receiverQueueSize: number;
  maxRedeliveries: number;
  redeliveryDelayMs: number;
  /** Where deadLetter() and exhausted nacks put a message, with the reason in its properties. */
  deadLetters: QueueProducer;
  logger: Logger;
  /** How long the consumer may go without progress while idle before it asks for the backlog (0: never; see StallWatch). */
  stallCheckMs?: number;
  /** This subscription's backlog over every partition and the partitions where no consumer holds it (StallWatch). */
  backlog?: StallWatchOptions['backlog'];
  /** Unloads partitions of the topic (StallWatch). */
  unload?: StallWatchOptions['unload'];
}

/**
 * The part of a Pulsar consumer that does not depend on the transport: messages wait in a local
 * buffer until receive() takes them; a nack past the redelivery limit becomes a dead letter with
 * its reason, the rest are delivered again; a StallWatch reconnects a consumer that stays idle
 * while its subscription has a backlog. Transports say how to acknowledge, redeliver and
 * reconnect, and hand over what arrives.
 */
export abstract class BufferedConsumer implements QueueConsumer {
  protected buffer: QueueMessage[] = [];
  private waiter: (() => void) | null = null;
  /** Messages receive() handed out and not yet acknowledged, nacked or dead-lettered. */
  private inHand = 0;
  private readonly stallWatch: StallWatch | undefined;

  constructor(protected readonly options: BufferedConsumerOptions) {
    const { stallCheckMs = 0, backlog, unload } = options;
    if (stallCheckMs > 0 && backlog && unload) {
      this.stallWatch = new StallWatch({
        everyMs: stallCheckMs,
        idle: () => this.connected && this.buffer.length === 0 && this.inHand === 0,
        backlog,
        reconnect: () => this.reconnect(),
        unload,
        label: `${options.topicName} (${options.subscription})`,
        logger: options.logger,
      });
    }
  }

  /** Resolves once the consumer is subscribed. */
  abstract whenOpen(): Promise<void>;
  /** Subscribed and able to receive now. */
  protected abstract get connected(): boolean;
  /** Drops the subscription and makes it again (the broker delivers again what was not acknowledged). */
  protected abstract reconnect(): void;
  protected abstract acknowledge(messages: QueueMessage[]): void;
  /** Asks the broker to deliver these again, after the redelivery delay. */
  protected abstract redeliver(messages: QueueMessage[]): void;
  /** These left the buffer for the caller of receive(). */
  protected took(_messages: QueueMessage[]): void {}

  async receive(max: number, waitMs: number, maxBytes = Infinity): Promise<QueueMessage[]> {
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
    const taken = this.buffer.splice(0, countWithin(this.buffer, max, maxBytes));
    this.inHand += taken.length;
    this.took(taken);
    return taken;
  }

  async ack(messages: QueueMessage[]): Promise<void> {
    this.settled(messages.length);
    this.acknowledge(messages);
  }

  async nack(messages: QueueMessage[], reason: string): Promise<void> {
    this.settled(messages.length);
    const again: QueueMessage[] = [];
    for (const message of messages) {
      if (message.redeliveryCount < this.options.maxRedeliveries) {
        again.push(message);
        continue;
      }
      try {
        await this.moveToDeadLetters(message, `${reason} (after ${message.redeliveryCount + 1} deliveries)`);
      } catch (error) {
        // The dead-letter topic cannot take it now: it comes again, and the next nack tries again.
        this.options.logger.warn(`cannot dead-letter ${message.id} of ${this.options.topicName} (${errorMessage(error)}); it comes again`);
        again.push(message);
      }
    }
    if (again.length > 0) this.redeliver(again);
  }

  async deadLetter(message: QueueMessage, reason: string): Promise<void> {
    this.settled(1);
    await this.moveToDeadLetters(message, reason);
  }

  async deadLetterPart(message: QueueMessage, data: Uint8Array, whole: string): Promise<void> {
    await this.options.deadLetters.send([deadLetterOf(message, data, whole, this.options.topicName, this.options.subscription)]);
  }

  async close(): Promise<void> {
    this.stallWatch?.close();
    this.waiter?.();
  }

  /** A message from the broker, ready for receive(). */
  protected arrived(message: QueueMessage): void {
    this.buffer.push(message);
    this.stallWatch?.progress(true);
    this.waiter?.();
  }

  /** Puts the message on the dead-letter topic with `reason`, then acknowledges it. */
  protected async moveToDeadLetters(message: QueueMessage, reason: string): Promise<void> {
    await this.deadLetterPart(message, message.data, reason);
    this.acknowledge([message]);
  }

  private settled(count: number): void {
    this.inHand = Math.max(0, this.inHand - count);
    this.stallWatch?.progress(false);
  }
}

/** How many of the first messages fit in `max` messages and `maxBytes` bytes of data (at least one, when there is one). */
export function countWithin(messages: readonly QueueMessage[], max: number, maxBytes: number): number {
  const budget = new BatchBudget(max, maxBytes);
  let n = 0;
  while (n < messages.length && budget.admits((messages[n] as QueueMessage).data.byteLength)) n += 1;
  return n;
}
