import { type Logger, type OutgoingMessage, partitionOfKey, type QueueProducer, QueueUnavailableError } from '@inflow/core';
import { Receipts } from '../receipts.js';
import { withTimeout } from '../waits.js';
import { BrokerAttachment } from './broker-attachment.js';
import type { BinaryClient } from './binary-client.js';
import type { BrokerConnection } from './broker-connection.js';
import { Command, type IncomingFrame, messageMetadata, sendFrame, serverError } from './commands.js';

export interface BinaryProducerOptions {
  client: BinaryClient;
  /** persistent://tenant/namespace/name */
  topic: string;
  sendTimeoutMs: number;
  logger: Logger;
}

/**
 * A producer on one topic (one partition), made again after a drop or an unload. Each send
 * resolves on the broker's receipt; a drop rejects what is in flight with QueueUnavailableError
 * (the edge answers 503 and the client sends again).
 */
class PartitionProducer extends BrokerAttachment {
  private producerName = '';
  private sequence = 0;
  private readonly receipts = new Receipts();

  constructor(
    topic: string,
    private readonly options: BinaryProducerOptions,
  ) {
    super(topic, options.client, options.logger, { closeCommand: Command.CLOSE_PRODUCER, noun: 'producer' });
    void this.attach();
  }

  async send(message: OutgoingMessage): Promise<void> {
    // A producer that is (re)connecting gets up to the send timeout before the message is refused.
    if (!this.isOpen) await withTimeout(this.whenOpen(), this.options.sendTimeoutMs, 'pulsar is not connected');
    const connection = this.connection;
    // Lost again between the open and this send.
    if (!connection?.isOpen) throw new QueueUnavailableError('pulsar is not connected', 2);
    const sequenceId = this.sequence++;
    const frame = sendFrame(this.id, sequenceId, messageMetadata(this.producerName, sequenceId, message.key, message.properties), message.data);
    return this.receipts.expect(sequenceId, () => connection.write(frame), this.options.sendTimeoutMs);
  }

  override close(): void {
    super.close();
    this.receipts.fail('producer closed');
  }

  protected make(connection: BrokerConnection, id: number): Promise<IncomingFrame> {
    return connection.request(Command.PRODUCER, 3, (command) => command.string(1, this.topic).uint(2, id));
  }

  protected attached(answer: IncomingFrame): void {
    this.producerName = answer.command.string(2) ?? '';
  }

  /** SEND_RECEIPT or SEND_ERROR for one sequence id. */
  protected frame({ type, command }: IncomingFrame): void {
    const sequenceId = command.uint(2);
    this.receipts.settle(sequenceId, type === Command.SEND_RECEIPT ? undefined : `${serverError(command.uint(3))} ${command.string(4) ?? ''}`.trim());
  }

  protected lost(reason: string): void {
    this.receipts.fail(reason);
  }
}

/**
 * A producer on a (partitioned) topic over Pulsar's binary protocol. One key always goes to the
 * same partition, so its messages stay in order.
 */
export class BinaryProducer implements QueueProducer {
  /** The partitions' producers, once the broker has told how many (asked until it answers). */
  private readonly partitions: Promise<PartitionProducer[]>;
  /** The same, for `connected` and close(), which do not wait. */
  private made: PartitionProducer[] = [];
  private partitionCheck: NodeJS.Timeout | undefined;
  private closed = false;

  /** Connects at once, as the WebSocket producer does: readiness reports every producer made. */
  constructor(private readonly options: BinaryProducerOptions) {
    this.partitions = this.start();
  }

  async ready(ms: number): Promise<void> {
    const open = this.partitions.then((list) => Promise.all(list.map((producer) => producer.whenOpen())));
    await withTimeout(open, ms, `pulsar producer not connected within ${ms} ms`, 5);
  }

  get connected(): boolean {
    return this.made.length > 0 && this.made.every((producer) => producer.isOpen);
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new QueueUnavailableError('pulsar producer closed', 2);
    const producers = this.made.length > 0 ? this.made : await withTimeout(this.partitions, this.options.sendTimeoutMs, 'pulsar is not connected');
    if (producers.length === 0) throw new QueueUnavailableError('pulsar producer closed', 2);
    // Routed as Pulsar's Murmur3_32Hash routing does: a key goes where the WebSocket producers put it too.
    await Promise.all(messages.map((message) => (producers[producers.length === 1 ? 0 : partitionOfKey(message.key, producers.length)] as PartitionProducer).send(message)));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.partitionCheck);
    for (const producer of this.made) producer.close();
  }

  /** One producer per partition, made once the broker has told them, and for partitions added later. */
  private async start(): Promise<PartitionProducer[]> {
    const { client, topic, logger } = this.options;
    this.partitionCheck = await client.followPartitions(topic, () => this.closed, logger, (_, name) => this.made.push(new PartitionProducer(name, this.options)));
    if (this.closed) clearInterval(this.partitionCheck);
    return this.made;
  }
}
