import { bucketOf, type Logger, type OutgoingMessage, type QueueProducer } from '@inflow/core';
import { Receipts } from '../receipts.js';
import { keepTrying, OpenLatch, withTimeout } from '../waits.js';
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
 * A producer on one topic (one partition): created on the broker that owns it, made again after
 * a drop or an unload. Each send resolves on the broker's receipt; a drop rejects what is in
 * flight with QueueUnavailableError (the edge answers 503 and the client sends again).
 */
class PartitionProducer {
  private connection: BrokerConnection | null = null;
  private producerId = 0;
  private producerName = '';
  private sequence = 0;
  private readonly receipts = new Receipts<number>();
  private closed = false;
  private readonly latch = new OpenLatch();

  constructor(
    private readonly topic: string,
    private readonly options: BinaryProducerOptions,
  ) {
    void this.connect();
  }

  get isOpen(): boolean {
    return this.connection?.isOpen === true;
  }

  whenOpen(): Promise<void> {
    return this.latch.whenOpen(this.isOpen);
  }

  async send(message: OutgoingMessage): Promise<void> {
    // A producer that is (re)connecting gets up to the send timeout before the message is refused.
    if (!this.isOpen) await withTimeout(this.latch.whenOpen(false), this.options.sendTimeoutMs, 'pulsar is not connected');
    const connection = this.connection as BrokerConnection;
    const sequenceId = this.sequence++;
    const frame = sendFrame(this.producerId, sequenceId, messageMetadata(this.producerName, sequenceId, message.key, message.properties), message.data);
    return this.receipts.expect(sequenceId, () => connection.write(frame), this.options.sendTimeoutMs);
  }

  close(): void {
    this.closed = true;
    this.connection?.unregister(this.producerId);
    this.receipts.fail('producer closed');
  }

  private async connect(): Promise<void> {
    await keepTrying(
      async () => {
        const id = this.options.client.newId();
        const connection = await this.options.client.connectionFor(this.topic);
        connection.register(id, { frame: (frame) => this.receipt(frame), closed: (reason) => this.dropped(id, reason) });
        try {
          const answer = await connection.request(Command.PRODUCER, 3, (command) => command.string(1, this.topic).uint(2, id));
          if (this.closed) return connection.unregister(id);
          this.connection = connection;
          this.producerId = id;
          this.producerName = answer.command.string(2) ?? '';
          this.latch.open();
        } catch (error) {
          connection.unregister(id);
          throw error;
        }
      },
      () => this.closed,
      (reason, pause) => this.options.logger.warn(`pulsar producer on ${this.topic} not ready (${reason}); trying again in ${pause} ms`),
    );
  }

  /** SEND_RECEIPT or SEND_ERROR for one sequence id. */
  private receipt({ type, command }: IncomingFrame): void {
    const sequenceId = command.uint(2);
    this.receipts.settle(sequenceId, type === Command.SEND_RECEIPT ? undefined : `${serverError(command.uint(3))} ${command.string(4) ?? ''}`.trim());
  }

  /** The connection dropped or the broker closed this producer: fail what is in flight, make it again. */
  private dropped(id: number, reason: string): void {
    if (id !== this.producerId || this.connection === null) return;
    this.connection = null;
    this.receipts.fail(reason);
    if (this.closed) return;
    this.options.logger.warn(`pulsar producer on ${this.topic} lost (${reason}); reconnecting`);
    void this.connect();
  }
}

/**
 * A producer on a (partitioned) topic over Pulsar's binary protocol. One key always goes to the
 * same partition, so its messages stay in order.
 */
export class BinaryProducer implements QueueProducer {
  private partitions: Promise<PartitionProducer[]> | null = null;
  /** The partitions' producers once known (for `connected` and close(), which do not wait). */
  private made: PartitionProducer[] = [];

  constructor(private readonly options: BinaryProducerOptions) {}

  async ready(ms: number): Promise<void> {
    const open = this.producers().then((list) => Promise.all(list.map((producer) => producer.whenOpen())));
    await withTimeout(open, ms, `pulsar producer not connected within ${ms} ms`, 5);
  }

  get connected(): boolean {
    return this.made.length > 0 && this.made.every((producer) => producer.isOpen);
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    const producers = await this.producers();
    await Promise.all(messages.map((message) => (producers[producers.length === 1 ? 0 : bucketOf(message.key, producers.length)] as PartitionProducer).send(message)));
  }

  async close(): Promise<void> {
    for (const producer of this.made) producer.close();
  }

  /** One producer per partition, made once the broker tells how many (asked again after a failure). */
  private producers(): Promise<PartitionProducer[]> {
    if (!this.partitions) {
      const made = this.options.client.partitions(this.options.topic).then((count) => {
        const topics = count === 0 ? [this.options.topic] : Array.from({ length: count }, (_, index) => `${this.options.topic}-partition-${index}`);
        this.made = topics.map((topic) => new PartitionProducer(topic, this.options));
        return this.made;
      });
      made.catch(() => {
        if (this.partitions === made) this.partitions = null;
      });
      this.partitions = made;
    }
    return this.partitions;
  }
}
