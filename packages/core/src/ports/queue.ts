/**
 * The queue port. The embedded engine implements it with SQLite; the distributed
 * engine with Apache Pulsar. Delivery is at least once: a message comes back until
 * it is acknowledged, and goes to the dead-letter place after too many failures.
 */

/** A topic inside the configured tenant: `persistent://{tenant}/{namespace}/{name}` in Pulsar terms. */
export interface TopicRef {
  namespace: string;
  name: string;
}

export interface OutgoingMessage {
  /** Ordering key: messages with one key are delivered in order (the profile id). */
  key: string;
  data: Uint8Array;
  /** Small string annotations kept with the message (dead-letter reasons). */
  properties?: Record<string, string>;
}

export interface QueueMessage {
  /** Engine-specific message id, opaque to callers. */
  id: string;
  key: string;
  data: Uint8Array;
  /** How many times this message was delivered before and not acknowledged. */
  redeliveryCount: number;
  publishedAt: number;
}

export interface QueueProducer {
  /** Resolves once every message is durably stored; rejects with QueueUnavailableError otherwise. */
  send(messages: OutgoingMessage[]): Promise<void>;
}

export interface ConsumerOptions {
  subscription: string;
  /** Deliveries after which a failing message goes to the dead-letter place. */
  maxRedeliveries: number;
  /** Delay before a negatively acknowledged message is delivered again. */
  redeliveryDelayMs: number;
}

export interface QueueConsumer {
  /**
   * Up to `max` messages, and with `maxBytes` no more than that many bytes of data (but always
   * the first one ready); waits at most `waitMs` when none is ready, then returns [].
   */
  receive(max: number, waitMs: number, maxBytes?: number): Promise<QueueMessage[]>;
  ack(messages: QueueMessage[]): Promise<void>;
  /** Delivers again later, or dead-letters once redeliveries are used up. */
  nack(messages: QueueMessage[], reason: string): Promise<void>;
  /** Moves a message that can never succeed straight to the dead-letter place. */
  deadLetter(message: QueueMessage, reason: string): Promise<void>;
  /**
   * Dead-letters `data`, one request carried inside `message` (a batch), with the reason, and
   * leaves `message` unacknowledged: the rest of the batch is still to be done.
   */
  deadLetterPart(message: QueueMessage, data: Uint8Array, reason: string): Promise<void>;
  close(): Promise<void>;
}

export interface PartitionBacklog {
  partition: string;
  subscription: string;
  count: number;
}

export interface TopicBacklog {
  total: number;
  backlog: PartitionBacklog[];
}

/** One topic in the list of every topic's backlog. */
export interface TopicStatus extends TopicBacklog {
  /** `namespace/name`. */
  topic: string;
  /** Dead letters kept for the topic (what a replay would send back to it). */
  deadLetters: number;
}

export interface DeadLetter {
  /** Stable while the letter is kept, URL-safe; what replayDeadLetters selects by. */
  id: string;
  /** Where the message came from and where a replay sends it: `namespace/name`. */
  topic: string;
  subscription: string;
  key: string;
  data: Uint8Array;
  reason: string;
  failedAt: string;
  redeliveryCount: number;
}

export interface DeadLetterSelection {
  ids?: string[];
}

export interface DeadLetterReplay {
  replayed: number;
  notFound: string[];
}

export interface Queue {
  /** Whether producers can send now (readiness): false while the broker is unreachable. */
  healthy(): boolean;
  producer(topic: TopicRef): QueueProducer;
  consumer(topic: TopicRef, options: ConsumerOptions): QueueConsumer;
  /**
   * Creates a topic made at run time (one per destination) with the subscription that must
   * exist before anything is sent to it, and its dead-letter place; nothing when they exist.
   */
  ensureTopic(topic: TopicRef, subscription: string): Promise<void>;
  /** null when the topic is unknown. */
  backlog(topic: TopicRef): Promise<TopicBacklog | null>;
  /** Every topic the queue knows, those made at run time included, by name; dead-letter places are counted, not listed. */
  backlogs(): Promise<TopicStatus[]>;
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /**
   * Sends dead letters back to the topics they came from (data and key unchanged), each
   * removed from the dead letters only once the send is durable. All of them when `ids`
   * is absent; ids that are not (or no longer) dead letters come back in `notFound`.
   */
  replayDeadLetters(selection: DeadLetterSelection): Promise<DeadLetterReplay>;
  close(): Promise<void>;
}
