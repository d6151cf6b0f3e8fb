import { errorMessage, type Logger, type QueueConsumer, type QueueMessage, type QueueProducer, sleep } from '@inflow/core';
import { deadLetterOf } from '../dead-letter-reason.js';
import type { BinaryClient } from './binary-client.js';
import type { BrokerConnection } from './broker-connection.js';
import { Command, type IncomingFrame, readMessageId, simpleFrame, writeMessageId } from './commands.js';

export interface BinaryConsumerOptions {
  client: BinaryClient;
  /** persistent://tenant/namespace/name */
  topic: string;
  subscription: string;
  /** namespace/name, for logs and dead-letter properties. */
  topicName: string;
  receiverQueueSize: number;
  maxRedeliveries: number;
  redeliveryDelayMs: number;
  deadLetters: QueueProducer;
  logger: Logger;
}

const KEY_SHARED = 3;
const EARLIEST = 1;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/** One partition's consumer: subscribed on the broker that owns it, made again after a drop. */
class PartitionConsumer {
  connection: BrokerConnection | null = null;
  consumerId = 0;
  /** Messages handed to receive() since the last FLOW (permits to give back). */
  private taken = 0;
  closed = false;

  constructor(
    readonly index: number,
    private readonly topic: string,
    private readonly owner: BinaryConsumer,
    private readonly options: BinaryConsumerOptions,
  ) {
    void this.connect();
  }

  /** A message left the local buffer: permits are given back in halves of the receiver queue. */
  took(): void {
    this.taken += 1;
    if (this.taken < Math.max(1, Math.floor(this.options.receiverQueueSize / 2))) return;
    this.flow(this.taken);
    this.taken = 0;
  }

  write(type: number, write: Parameters<typeof simpleFrame>[1]): boolean {
    return this.connection?.write(simpleFrame(type, write)) ?? false;
  }

  close(): void {
    this.closed = true;
    this.connection?.unregister(this.consumerId);
    this.connection?.write(simpleFrame(Command.CLOSE_CONSUMER, (command) => command.uint(1, this.consumerId).uint(2, 0)));
    this.connection = null;
  }

  private flow(permits: number): void {
    this.write(Command.FLOW, (command) => command.uint(1, this.consumerId).uint(2, permits));
  }

  private async connect(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.closed) {
      let connection: BrokerConnection | null = null;
      const id = this.options.client.newId();
      try {
        connection = await this.options.client.connectionFor(this.topic);
        connection.register(id, { frame: (frame) => this.owner.deliver(this, frame), closed: (reason) => this.dropped(id, reason) });
        await connection.request(Command.SUBSCRIBE, 5, (command) =>
          command
            .string(1, this.topic)
            .string(2, this.options.subscription)
            .uint(3, KEY_SHARED)
            .uint(4, id)
            .uint(13, EARLIEST)
            .message(17, (meta) => meta.uint(1, 0)),
        );
        if (this.closed) return connection.unregister(id);
        this.connection = connection;
        this.consumerId = id;
        this.taken = 0;
        this.flow(this.options.receiverQueueSize);
        this.options.logger.info(`subscribed to ${this.options.topicName} partition ${this.index} as ${this.options.subscription}`);
        return;
      } catch (error) {
        connection?.unregister(id);
        this.options.logger.warn(`pulsar consumer on ${this.topic} not subscribed (${errorMessage(error)}); trying again in ${backoff} ms`);
        await sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }

  private dropped(id: number, reason: string): void {
    if (id !== this.consumerId || this.connection === null) return;
    this.connection = null;
    this.owner.forget(this);
    if (this.closed) return;
    this.options.logger.warn(`pulsar consumer on ${this.topic} lost (${reason}); subscribing again`);
    void this.connect();
  }
}

/**
 * A Key_Shared consumer of a (partitioned) topic over Pulsar's binary protocol: one profile's
 * messages go to one consumer in order, several consumers share the subscription. After a drop
 * the broker delivers again whatever was not acknowledged, so that partition's buffered messages
 * are forgotten.
 */
export class BinaryConsumer implements QueueConsumer {
  private partitions: PartitionConsumer[] = [];
  private buffer: Array<{ message: QueueMessage; from: PartitionConsumer }> = [];
  private waiter: (() => void) | null = null;
  private closing = false;
  private readonly started: Promise<void>;

  constructor(private readonly options: BinaryConsumerOptions) {
    this.started = this.start();
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
    for (const { from } of taken) from.took();
    return taken.map(({ message }) => message);
  }

  async ack(messages: QueueMessage[]): Promise<void> {
    for (const [partition, ids] of this.byPartition(messages)) {
      partition.write(Command.ACK, (command) => {
        command.uint(1, partition.consumerId).uint(2, 0);
        for (const id of ids) command.message(3, (messageId) => writeMessageId(messageId, id));
      });
    }
  }

  async nack(messages: QueueMessage[], reason: string): Promise<void> {
    const again: QueueMessage[] = [];
    for (const message of messages) {
      if (message.redeliveryCount >= this.options.maxRedeliveries) await this.deadLetter(message, `${reason} (after ${message.redeliveryCount + 1} deliveries)`);
      else again.push(message);
    }
    const timer = setTimeout(() => {
      for (const [partition, ids] of this.byPartition(again)) {
        partition.write(Command.REDELIVER_UNACKNOWLEDGED_MESSAGES, (command) => {
          command.uint(1, partition.consumerId);
          for (const id of ids) command.message(2, (messageId) => writeMessageId(messageId, id));
        });
      }
    }, this.options.redeliveryDelayMs);
    timer.unref();
  }

  async deadLetter(message: QueueMessage, reason: string): Promise<void> {
    await this.deadLetterPart(message, message.data, reason);
    await this.ack([message]);
  }

  async deadLetterPart(message: QueueMessage, data: Uint8Array, whole: string): Promise<void> {
    await this.options.deadLetters.send([deadLetterOf(message, data, whole, this.options.topicName, this.options.subscription)]);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.started.catch(() => undefined);
    for (const partition of this.partitions) partition.close();
    this.waiter?.();
  }

  /** A MESSAGE frame from one partition's consumer. */
  deliver(from: PartitionConsumer, frame: IncomingFrame): void {
    if (frame.type !== Command.MESSAGE || !frame.payload || !frame.metadata) return;
    const { ledgerId, entryId } = readMessageId(frame.command.message(2));
    this.buffer.push({
      from,
      message: {
        id: `${from.index}:${ledgerId}:${entryId}`,
        key: frame.metadata.string(6) ?? '',
        data: Buffer.from(frame.payload),
        redeliveryCount: frame.command.uint(3),
        publishedAt: frame.metadata.uint(3) || Date.now(),
      },
    });
    this.waiter?.();
  }

  /** A partition's consumer dropped: its buffered messages come again from the broker. */
  forget(from: PartitionConsumer): void {
    this.buffer = this.buffer.filter((entry) => entry.from !== from);
  }

  /** Resolves once every partition is subscribed. */
  async whenOpen(): Promise<void> {
    await this.started;
    while (this.partitions.some((partition) => partition.connection === null)) await sleep(20);
  }

  /** Learns the partitions (retrying while the broker cannot answer) and subscribes to each. */
  private async start(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.closing) {
      try {
        const count = await this.options.client.partitions(this.options.topic);
        const topics = count === 0 ? [this.options.topic] : Array.from({ length: count }, (_, index) => `${this.options.topic}-partition-${index}`);
        this.partitions = topics.map((topic, index) => new PartitionConsumer(index, topic, this, this.options));
        return;
      } catch (error) {
        this.options.logger.warn(`pulsar cannot tell the partitions of ${this.options.topic} (${errorMessage(error)}); trying again in ${backoff} ms`);
        await sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }

  private byPartition(messages: QueueMessage[]): Map<PartitionConsumer, Array<{ ledgerId: number; entryId: number }>> {
    const groups = new Map<PartitionConsumer, Array<{ ledgerId: number; entryId: number }>>();
    for (const message of messages) {
      const [index, ledgerId, entryId] = message.id.split(':').map(Number) as [number, number, number];
      const partition = this.partitions[index];
      if (!partition) continue;
      const group = groups.get(partition);
      if (group) group.push({ ledgerId, entryId });
      else groups.set(partition, [{ ledgerId, entryId }]);
    }
    return groups;
  }
}
