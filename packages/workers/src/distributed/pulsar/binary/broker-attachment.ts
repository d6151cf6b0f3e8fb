import { type Logger, QueueUnavailableError } from '@inflow/core';
import { keepTrying, OpenLatch } from '../waits.js';
import type { BinaryClient } from './binary-client.js';
import type { BrokerConnection } from './broker-connection.js';
import { Command, type IncomingFrame, simpleFrame } from './commands.js';

/** A producer or a consumer as the broker knows it: how to make it, close it, and name it in logs. */
export interface AttachmentKind {
  /** CLOSE_PRODUCER or CLOSE_CONSUMER. */
  closeCommand: typeof Command.CLOSE_PRODUCER | typeof Command.CLOSE_CONSUMER;
  /** "producer" or "consumer", for logs. */
  noun: string;
}

/**
 * A producer or consumer of one topic (one partition) on the broker that owns it, under an id of
 * this client: made there (looked up, then PRODUCER or SUBSCRIBE), and made again after the
 * connection drops or the broker closes it (an unload). One that the broker closes in the same
 * breath as it answers is made again; one whose making failed is closed there, in case the broker
 * made it after all (a request that timed out), so it keeps no share of the topic.
 */
export abstract class BrokerAttachment {
  protected connection: BrokerConnection | null = null;
  protected id = 0;
  protected closed = false;
  private readonly latch = new OpenLatch();

  constructor(
    protected readonly topic: string,
    protected readonly client: BinaryClient,
    protected readonly logger: Logger,
    private readonly kind: AttachmentKind,
  ) {}

  get isOpen(): boolean {
    return this.connection?.isOpen === true;
  }

  /** Resolves now when open, else at the next time it opens. */
  whenOpen(): Promise<void> {
    return this.latch.whenOpen(this.isOpen);
  }

  close(): void {
    this.closed = true;
    if (this.connection) this.leave(this.connection, this.id);
    this.connection = null;
  }

  /** Sends PRODUCER or SUBSCRIBE for `id` on `connection` and waits for the broker's answer. */
  protected abstract make(connection: BrokerConnection, id: number): Promise<IncomingFrame>;
  /** A frame for this id (receipts, messages). */
  protected abstract frame(frame: IncomingFrame): void;
  /** Made on the broker: `answer` is its answer to make(). */
  protected abstract attached(answer: IncomingFrame): void;
  /** Lost (dropped, closed by the broker, or closed here): whatever rode on it is gone. */
  protected abstract lost(reason: string): void;

  /** Makes it on the broker, trying again with backoff until it is made or closed here. */
  protected async attach(): Promise<void> {
    await keepTrying(
      async () => {
        const id = this.client.newId();
        const connection = await this.client.connectionFor(this.topic);
        let lostAtOnce: string | undefined;
        connection.register(id, {
          frame: (frame) => this.frame(frame),
          closed: (reason) => {
            lostAtOnce = reason;
            this.dropped(id, reason);
          },
        });
        let answer: IncomingFrame;
        try {
          answer = await this.make(connection, id);
          if (lostAtOnce !== undefined || !connection.isOpen) throw new QueueUnavailableError(`${this.kind.noun} closed at once (${lostAtOnce ?? 'connection lost'})`, 2);
        } catch (error) {
          this.leave(connection, id);
          throw error;
        }
        if (this.closed) return this.leave(connection, id);
        this.connection = connection;
        this.id = id;
        this.attached(answer);
        this.latch.open();
      },
      () => this.closed,
      (reason, pause) => this.logger.warn(`pulsar ${this.kind.noun} on ${this.topic} not ready (${reason}); trying again in ${pause} ms`),
    );
  }

  /** Closes it on the broker and makes it again. */
  protected reattach(reason: string): void {
    const { connection, id } = this;
    if (!connection) return;
    this.leave(connection, id);
    this.dropped(id, reason);
  }

  private leave(connection: BrokerConnection, id: number): void {
    connection.unregister(id);
    connection.write(simpleFrame(this.kind.closeCommand, (command) => command.uint(1, id).uint(2, 0)));
  }

  private dropped(id: number, reason: string): void {
    if (id !== this.id || this.connection === null) return;
    this.connection = null;
    this.lost(reason);
    if (this.closed) return;
    this.logger.warn(`pulsar ${this.kind.noun} on ${this.topic} lost (${reason}); making it again`);
    void this.attach();
  }
}
