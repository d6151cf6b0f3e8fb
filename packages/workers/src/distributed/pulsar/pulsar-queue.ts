import { type ConsumerOptions, type DeadLetter, type DeadLetterReplay, type DeadLetterSelection, errorMessage, isQueueUnavailable, type Logger, type Queue, type QueueConsumer, type QueueProducer, QueueUnavailableError, type TopicBacklog, type TopicRef, type TopicStatus } from '@inflow/core';
import { DEAD_LETTER_SUBSCRIPTION, PulsarDeadLetters } from './dead-letters.js';
import { PulsarAdmin } from './pulsar-admin.js';
import type { PulsarToken } from './pulsar-auth.js';
import { deadLetterTopic, fullTopicName, isDeadLetterTopicName, isPulsarName, topicPath } from './topic-names.js';
import type { BufferedConsumerOptions } from './buffered-consumer.js';
import { WsConsumer } from './ws-consumer.js';
import { WsProducer } from './ws-producer.js';
import { BinaryClient } from './binary/binary-client.js';
import { BinaryConsumer } from './binary/binary-consumer.js';
import { BinaryProducer } from './binary/binary-producer.js';
import { BrokerRefusedError } from './binary/broker-connection.js';

/** What the queue needs of a producer on either transport. */
type PulsarProducer = QueueProducer & { readonly connected: boolean; ready(ms: number): Promise<void>; close(): Promise<void> };

export interface PulsarQueueOptions {
  /** http://host:port of the broker's web service (admin REST and WebSocket API). */
  webServiceUrl: string;
  /**
   * How producers and consumers reach the broker: `binary`, its own protocol, at `serviceUrl` or,
   * without one, at the address the cluster's metadata gives (admin API); `websocket`, its
   * WebSocket API at webServiceUrl. Default: binary when `serviceUrl` is given, else websocket.
   * Admin calls and dead-letter reads stay on HTTP either way.
   */
  transport?: 'binary' | 'websocket';
  /** pulsar://host:port of a broker or proxy for the binary transport. */
  serviceUrl?: string;
  /**
   * init() checks that the binary protocol answers a handshake (default true): roles need it;
   * `inflow setup`, which only creates topics through the admin API, does not.
   */
  checkBroker?: boolean;
  tenant: string;
  /**
   * Topics to create, each with the subscription its workers use. The subscription is created
   * with the topic: Pulsar keeps messages only for existing subscriptions, so what the edge
   * sends before the first worker connects must already have one waiting.
   */
  topics: Array<{ topic: TopicRef; subscription?: string; ordered?: boolean }>;
  /** Namespaces to create besides those of the topics (stages that create their topics later). */
  extraNamespaces?: string[];
  /**
   * Namespaces whose topics are made at run time (ensureTopic: one per destination): their
   * dead letters are listed and replayed too, found by asking the broker for the topics.
   */
  runtimeTopicNamespaces?: string[];
  partitions: number;
  producerConnections: number;
  sendTimeoutMs: number;
  receiverQueueSize: number;
  /** Binary transport: how often producers and consumers look for partitions added to their topic (default a minute). */
  partitionCheckMs?: number;
  /** A consumer idle this long while its subscription has a backlog checks again, then reconnects (0: never). */
  stallCheckMs?: number;
  /** Pulsar's token authentication, on every connection (admin, WebSocket, binary), when the cluster requires it. */
  auth?: PulsarToken | undefined;
  logger: Logger;
}

/** The distributed engine's queue: Apache Pulsar through its binary protocol (or its WebSocket API) and admin REST. */
export class PulsarQueue implements Queue {
  private readonly admin: PulsarAdmin;
  private readonly wsBase: string;
  private readonly producers = new Map<string, PulsarProducer>();
  private readonly consumers = new Set<QueueConsumer>();
  private readonly binary: BinaryClient | null;
  private readonly letters: PulsarDeadLetters;

  constructor(private readonly options: PulsarQueueOptions) {
    this.admin = new PulsarAdmin(options.webServiceUrl, undefined, options.auth);
    const binary = (options.transport ?? (options.serviceUrl ? 'binary' : 'websocket')) === 'binary';
    this.binary = binary ? new BinaryClient(options.serviceUrl ?? (() => this.admin.brokerServiceUrl()), options.partitionCheckMs, options.auth) : null;
    this.wsBase = options.webServiceUrl.replace(/^http/, 'ws') + '/ws/v2';
    this.letters = new PulsarDeadLetters({
      webServiceUrl: options.webServiceUrl,
      tenant: options.tenant,
      auth: options.auth,
      sources: options.topics.map(({ topic }) => topic),
      discover: async () => {
        const found: TopicRef[] = [];
        for (const namespace of options.runtimeTopicNamespaces ?? []) {
          const names = await this.admin.partitionedTopics(options.tenant, namespace);
          for (const name of names.sort()) if (!isDeadLetterTopicName(name)) found.push({ namespace, name });
        }
        return found;
      },
      producer: (topic) => this.producer(topic),
    });
  }

  /** Creates the tenant, namespaces, partitioned topics and dead-letter topics that are missing. */
  async init(): Promise<void> {
    const { tenant, topics, partitions, logger } = this.options;
    await this.admin.ensureTenant(tenant);
    const namespaces = new Set([...topics.map(({ topic }) => topic.namespace), ...(this.options.extraNamespaces ?? [])]);
    for (const namespace of namespaces) await this.admin.ensureNamespace(tenant, namespace);
    for (const { topic, subscription } of topics) {
      await this.admin.ensurePartitionedTopic(topicPath(tenant, topic), partitions);
      if (subscription) await this.admin.ensureSubscription(topicPath(tenant, topic), subscription);
      await this.admin.ensureSubscription(topicPath(tenant, deadLetterTopic(topic)), DEAD_LETTER_SUBSCRIPTION);
    }
    logger.debug(`pulsar topics ready`, { tenant, topics: topics.map(({ topic }) => `${topic.namespace}/${topic.name}`).join(','), partitions });
    await this.persistAcksPromptly([...namespaces]);
    if (this.binary && this.options.checkBroker !== false) await this.checkBinaryProtocol(this.binary);
  }

  /**
   * Asks the brokers to persist acknowledgements as they come in each namespace (see
   * PulsarAdmin.persistAcksPromptly): the less a broker crash delivers again, the less the
   * collector has to ask the store about. Says in one line what it found, and warns where it could not.
   */
  private async persistAcksPromptly(namespaces: string[]): Promise<void> {
    const { tenant, topics, logger } = this.options;
    const first = topics[0];
    if (!first) return;
    const prompt: string[] = [];
    const changed: string[] = [];
    for (const namespace of namespaces) {
      const probe = topics.find(({ topic }) => topic.namespace === namespace) ?? first;
      const name = `${tenant}/${namespace}`;
      // Best effort: an answer it does not expect is warned about, and the role starts (an outage is waited out as for the rest of init).
      const outcome = await this.admin.persistAcksPromptly(tenant, namespace, topicPath(tenant, probe.topic)).catch((error: unknown) => {
        if (isQueueUnavailable(error)) throw error;
        return { prompt: false as const, rate: undefined, reason: errorMessage(error) };
      });
      if (outcome.prompt) {
        prompt.push(name);
        if (outcome.was !== undefined) changed.push(`${name} ${outcome.was}`);
      } else {
        const rate = outcome.rate === undefined ? 'at a rate Pulsar sets' : `at most ${outcome.rate} times a second`;
        logger.warn(
          `Pulsar: acknowledgements in ${name} are persisted ${rate} (managedLedgerMaxMarkDeleteRate), and Inflow cannot change that: ${outcome.reason}. ` +
            `After a broker crash, requests acknowledged since are delivered again: the store keeps counts exact, at the cost of asking it about each of them. ` +
            `Set it: pulsar-admin namespaces set-persistence ${name} -e <ensemble> -w <write quorum> -a <ack quorum> -r 0`,
        );
      }
    }
    if (prompt.length > 0) logger.info(`Pulsar: acknowledgements persisted as they come in ${prompt.join(', ')} (managedLedgerMaxMarkDeleteRate 0${changed.length > 0 ? `; set now, was ${changed.join(', ')}` : ''})`);
  }

  /**
   * The brokers' binary protocol answers a handshake. Its port can be down or unreachable while
   * the admin API answers (a wrong INFLOW_PULSAR_SERVICE_URL, a broker's advertised address not
   * reachable from here): then starting is an outage, waited out and named like any other, and
   * not a role that says it started while none of its producers or consumers can connect. The
   * connection made here is the client's own, kept for what follows.
   */
  private async checkBinaryProtocol(binary: BinaryClient): Promise<void> {
    try {
      await binary.connectToService();
    } catch (error) {
      const url = await binary.serviceAddress().catch(() => this.options.serviceUrl ?? 'the address the cluster names');
      const message = `pulsar's binary protocol at ${url}: ${(error as Error).message}`;
      // Refused credentials (a proxy that does not take the token the admin API took) stop the start.
      if (error instanceof BrokerRefusedError && error.credentials) throw new Error(message, { cause: error });
      throw new QueueUnavailableError(message, 5, { cause: error });
    }
  }

  async ensureTopic(topic: TopicRef, subscription: string): Promise<void> {
    const { tenant, partitions } = this.options;
    try {
      await this.admin.ensurePartitionedTopic(topicPath(tenant, topic), partitions);
      await this.admin.ensureSubscription(topicPath(tenant, topic), subscription);
      await this.admin.ensureSubscription(topicPath(tenant, deadLetterTopic(topic)), DEAD_LETTER_SUBSCRIPTION);
    } catch (error) {
      throw new QueueUnavailableError(`cannot create topic ${topic.namespace}/${topic.name}: ${(error as Error).message}`, 2, { cause: error });
    }
  }

  healthy(): boolean {
    return [...this.producers.values()].every((producer) => producer.connected);
  }

  producer(topic: TopicRef): QueueProducer {
    const unordered = this.options.topics.some((t) => t.ordered === false && sameTopic(t.topic, topic));
    return this.producerFor(topic, this.options.producerConnections, unordered);
  }

  consumer(topic: TopicRef, options: ConsumerOptions): QueueConsumer {
    const { tenant } = this.options;
    const dead = deadLetterTopic(topic);
    const common: BufferedConsumerOptions = {
      subscription: options.subscription,
      topicName: `${topic.namespace}/${topic.name}`,
      receiverQueueSize: this.options.receiverQueueSize,
      maxRedeliveries: options.maxRedeliveries,
      redeliveryDelayMs: options.redeliveryDelayMs,
      deadLetters: this.producerFor(dead, 1, false),
      logger: this.options.logger,
      stallCheckMs: this.options.stallCheckMs ?? 0,
      backlog: async () => {
        const partitions = await this.admin.subscriptionOnPartitions(topicPath(tenant, topic), options.subscription);
        return {
          total: partitions.reduce((sum, p) => sum + p.backlog, 0),
          stuck: partitions.filter((p) => p.backlog > 0 && p.consumers > 0 && p.held === 0).map((p) => p.partition),
        };
      },
      unload: async (partitions) => {
        for (const partition of partitions) await this.admin.unload(partition);
      },
    };
    const consumer = this.binary
      ? new BinaryConsumer({ ...common, client: this.binary, topic: fullTopicName(tenant, topic) })
      : new WsConsumer({
          ...common,
          url: `${this.wsBase}/consumer/${topicPath(tenant, topic)}/${encodeURIComponent(options.subscription)}`,
          deadLetterTopicName: fullTopicName(tenant, dead),
          auth: this.options.auth,
        });
    this.consumers.add(consumer);
    return consumer;
  }

  /** Resolves once every producer made so far is connected. */
  async ready(ms: number): Promise<void> {
    await Promise.all([...this.producers.values()].map((producer) => producer.ready(ms)));
  }

  async backlog(topic: TopicRef): Promise<TopicBacklog | null> {
    if (!isPulsarName(topic.namespace) || !isPulsarName(topic.name)) return null;
    const rows = await this.admin.backlog(topicPath(this.options.tenant, topic), fullTopicName(this.options.tenant, topic));
    if (!rows) return null;
    return { total: rows.reduce((sum, row) => sum + row.count, 0), backlog: rows };
  }

  /**
   * Every partitioned topic of the namespaces Inflow uses (the fixed topics' and those made at
   * run time), with the backlog of its dead-letter topic as its dead letters: two admin calls
   * per namespace and one per topic, in parallel.
   */
  async backlogs(): Promise<TopicStatus[]> {
    const { tenant, topics, runtimeTopicNamespaces = [] } = this.options;
    const namespaces = [...new Set([...topics.map(({ topic }) => topic.namespace), ...runtimeTopicNamespaces])];
    const names = (await Promise.all(namespaces.map(async (namespace) => (await this.admin.partitionedTopics(tenant, namespace)).map((name) => ({ namespace, name }))))).flat();
    const known = new Set(names.map(({ namespace, name }) => `${namespace}/${name}`));
    const sources = names.filter(({ name }) => !isDeadLetterTopicName(name));
    const found = await Promise.all(
      sources.map(async (topic): Promise<TopicStatus | null> => {
        const dead = deadLetterTopic(topic);
        const [rows, deadRows] = await Promise.all([
          this.admin.partitionedBacklog(topicPath(tenant, topic)),
          known.has(`${dead.namespace}/${dead.name}`) ? this.admin.partitionedBacklog(topicPath(tenant, dead)) : null,
        ]);
        if (!rows) return null;
        const deadLetters = (deadRows ?? []).filter((row) => row.subscription === DEAD_LETTER_SUBSCRIPTION).reduce((sum, row) => sum + row.count, 0);
        return { topic: `${topic.namespace}/${topic.name}`, total: rows.reduce((sum, row) => sum + row.count, 0), backlog: rows, deadLetters };
      }),
    );
    return found.filter((topic): topic is TopicStatus => topic !== null).sort((a, b) => a.topic.localeCompare(b.topic));
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.letters.list(limit);
  }

  replayDeadLetters(selection: DeadLetterSelection): Promise<DeadLetterReplay> {
    return this.letters.replay(selection);
  }

  async close(): Promise<void> {
    await this.letters.idle();
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    await Promise.all([...this.producers.values()].map((producer) => producer.close()));
    this.binary?.close();
  }

  private producerFor(topic: TopicRef, connections: number, batching: boolean): PulsarProducer {
    const name = fullTopicName(this.options.tenant, topic);
    let producer = this.producers.get(name);
    if (!producer && this.binary) {
      producer = new BinaryProducer({ client: this.binary, topic: name, sendTimeoutMs: this.options.sendTimeoutMs, logger: this.options.logger });
      this.producers.set(name, producer);
    }
    if (!producer) {
      producer = new WsProducer({
        url: `${this.wsBase}/producer/${topicPath(this.options.tenant, topic)}`,
        connections,
        batching,
        sendTimeoutMs: this.options.sendTimeoutMs,
        logger: this.options.logger,
        auth: this.options.auth,
      });
      this.producers.set(name, producer);
    }
    return producer;
  }
}

function sameTopic(a: TopicRef, b: TopicRef): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}
