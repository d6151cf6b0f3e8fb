import { errorMessage, type QueueMessage } from '@inflow/core';
import { BufferedConsumer, type BufferedConsumerOptions } from '../buffered-consumer.js';
import { BrokerAttachment } from './broker-attachment.js';
import type { BinaryClient } from './binary-client.js';
import type { BrokerConnection } from './broker-connection.js';
import { Command, type IncomingFrame, type MessageIdParts, readMessageId, simpleFrame, unreadableEntry, writeMessageId } from './commands.js';
import type { ProtoWriter } from './protobuf.js';

export interface BinaryConsumerOptions extends BufferedConsumerOptions {
  client: BinaryClient;
  /** persistent://tenant/namespace/name */
  topic: string;
}

const KEY_SHARED = 3;
const EARLIEST = 1;

/** One partition's consumer: subscribed on the broker that owns it, made again after a drop. */
class PartitionConsumer extends BrokerAttachment {
  /** Messages handed to receive() since the last FLOW (permits to give back). */
  private taken = 0;

  constructor(
    readonly index: number,
    topic: string,
    private readonly owner: BinaryConsumer,
    private readonly options: BinaryConsumerOptions,
  ) {
    super(topic, options.client, options.logger, { closeCommand: Command.CLOSE_CONSUMER, noun: 'consumer' });
    void this.attach();
  }

  /** Messages left the local buffer (or were settled on arrival): permits are given back in halves of the receiver queue. */
  took(count = 1): void {
    this.taken += count;
    if (this.taken < Math.max(1, Math.floor(this.options.receiverQueueSize / 2))) return;
    this.flow(this.taken);
    this.taken = 0;
  }

  ack(ids: MessageIdParts[]): void {
    this.write(Command.ACK, (command) => {
      command.uint(1, this.id).uint(2, 0);
      for (const id of ids) command.message(3, (messageId) => writeMessageId(messageId, id));
    });
  }

  redeliver(ids: MessageIdParts[]): void {
    this.write(Command.REDELIVER_UNACKNOWLEDGED_MESSAGES, (command) => {
      command.uint(1, this.id);
      for (const id of ids) command.message(2, (messageId) => writeMessageId(messageId, id));
    });
  }

  /** Closes this subscription on the broker and makes it again. */
  resubscribe(): void {
    this.reattach('reconnect asked for');
  }

  protected make(connection: BrokerConnection, id: number): Promise<IncomingFrame> {
    return connection.request(Command.SUBSCRIBE, 5, (command) =>
      command
        .string(1, this.topic)
        .string(2, this.options.subscription)
        .uint(3, KEY_SHARED)
        .uint(4, id)
        .uint(13, EARLIEST)
        .message(17, (meta) => meta.uint(1, 0)),
    );
  }

  protected attached(): void {
    this.taken = 0;
    this.flow(this.options.receiverQueueSize);
    this.logger.info(`subscribed to ${this.options.topicName} partition ${this.index} as ${this.options.subscription}`);
  }

  protected frame(frame: IncomingFrame): void {
    this.owner.deliver(this, frame);
  }

  protected lost(): void {
    this.owner.forget(this.index);
  }

  private write(type: number, write: (command: ProtoWriter) => void): void {
    this.connection?.write(simpleFrame(type, write));
  }

  private flow(permits: number): void {
    this.write(Command.FLOW, (command) => command.uint(1, this.id).uint(2, permits));
  }
}

/**
 * A Key_Shared consumer of a (partitioned) topic over Pulsar's binary protocol: one profile's
 * messages go to one consumer in order, several consumers share the subscription. After a drop
 * the broker delivers again whatever was not acknowledged, so that partition's buffered messages
 * are forgotten. Message ids are `partition:ledger:entry`.
 */
export class BinaryConsumer extends BufferedConsumer {
  private partitions: PartitionConsumer[] = [];
  private closing = false;
  private readonly started: Promise<void>;
  private partitionCheck: NodeJS.Timeout | undefined;

  constructor(private readonly binary: BinaryConsumerOptions) {
    super(binary);
    this.started = this.start();
  }

  async whenOpen(): Promise<void> {
    await this.started;
    await Promise.all(this.partitions.map((partition) => partition.whenOpen()));
  }

  override async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.partitionCheck);
    await this.started;
    for (const partition of this.partitions) partition.close();
    await super.close();
  }

  protected get connected(): boolean {
    return this.partitions.length > 0 && this.partitions.every((partition) => partition.isOpen);
  }

  protected reconnect(): void {
    for (const partition of this.partitions) partition.resubscribe();
  }

  protected acknowledge(messages: QueueMessage[]): void {
    for (const [partition, ids] of this.byPartition(messages)) partition.ack(ids);
  }

  protected redeliver(messages: QueueMessage[]): void {
    const timer = setTimeout(() => {
      for (const [partition, ids] of this.byPartition(messages)) partition.redeliver(ids);
    }, this.binary.redeliveryDelayMs);
    timer.unref();
  }

  protected override took(messages: QueueMessage[]): void {
    for (const message of messages) this.partitions[partitionOf(message)]?.took();
  }

  /** A frame for one partition's consumer: a MESSAGE goes to the buffer, or to the dead letters when it cannot be read. */
  deliver(from: PartitionConsumer, frame: IncomingFrame): void {
    if (frame.type !== Command.MESSAGE || !frame.payload || !frame.metadata) return;
    const { ledgerId, entryId } = readMessageId(frame.command.message(2));
    const message: QueueMessage = {
      id: `${from.index}:${ledgerId}:${entryId}`,
      key: frame.metadata.string(6) ?? '',
      data: Buffer.from(frame.payload),
      redeliveryCount: frame.command.uint(3),
      publishedAt: frame.metadata.uint(3) || Date.now(),
    };
    const unreadable = unreadableEntry(frame.metadata);
    if (unreadable) {
      // Not Inflow's own (its producers neither batch nor compress): kept whole, with the reason.
      this.settleOnArrival(from, message, unreadable, frame.metadata.uint(11, 1));
    } else if (message.redeliveryCount > this.binary.maxRedeliveries) {
      // Delivered again and again without ever being settled (a worker that dies on it, say): the
      // broker's count says so, as the WebSocket API's own dead-letter policy would.
      this.settleOnArrival(from, message, `delivered ${message.redeliveryCount + 1} times and never settled`, 1);
    } else {
      this.arrived(message);
    }
  }

  /** Dead-letters a message as it arrives, without handing it out; if that fails the broker delivers it again. */
  private settleOnArrival(from: PartitionConsumer, message: QueueMessage, reason: string, permits: number): void {
    from.took(permits);
    this.moveToDeadLetters(message, reason).catch((error: unknown) => {
      this.binary.logger.warn(`cannot dead-letter ${message.id} of ${this.binary.topicName} (${errorMessage(error)}); it comes again`);
      this.redeliver([message]);
    });
  }

  /** A partition's consumer dropped: its buffered messages come again from the broker. */
  forget(partition: number): void {
    this.buffer = this.buffer.filter((message) => partitionOf(message) !== partition);
  }

  /** Subscribes to each partition once the broker has told them, and to partitions added later. */
  private async start(): Promise<void> {
    const { client, topic, logger } = this.binary;
    this.partitionCheck = await client.followPartitions(topic, () => this.closing, logger, (index, name) => this.partitions.push(new PartitionConsumer(index, name, this, this.binary)));
    if (this.closing) clearInterval(this.partitionCheck);
  }

  private byPartition(messages: QueueMessage[]): Map<PartitionConsumer, MessageIdParts[]> {
    const groups = new Map<PartitionConsumer, MessageIdParts[]>();
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

function partitionOf(message: QueueMessage): number {
  return Number(message.id.slice(0, message.id.indexOf(':')));
}
