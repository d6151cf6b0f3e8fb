import WebSocket from 'ws';
import type { Logger } from '../../logging/logger.js';
import type { ConsumerOptions, DeadLetter, Queue, QueueConsumer, QueueProducer, TopicBacklog, TopicRef } from '../../ports/queue.js';
import { PulsarAdmin } from './pulsar-admin.js';
import { deadLetterTopic, fullTopicName, topicPath } from './topic-names.js';
import { WsConsumer } from './ws-consumer.js';
import { WsProducer } from './ws-producer.js';

export interface PulsarQueueOptions {
  /** http://host:port of the broker's web service (admin REST and WebSocket API). */
  webServiceUrl: string;
  tenant: string;
  /**
   * Topics to create, each with the subscription its workers use. The subscription is created
   * with the topic: Pulsar keeps messages only for existing subscriptions, so what the edge
   * sends before the first worker connects must already have one waiting.
   */
  topics: Array<{ topic: TopicRef; subscription?: string; ordered?: boolean }>;
  /** Namespaces to create besides those of the topics (stages that create their topics later). */
  extraNamespaces?: string[];
  partitions: number;
  producerConnections: number;
  sendTimeoutMs: number;
  receiverQueueSize: number;
  logger: Logger;
}

/** Subscription that keeps dead letters from being deleted and lets the API read them. */
const DEAD_LETTER_SUBSCRIPTION = 'inflow-dead-letter-keeper';

/** The distributed engine's queue: Apache Pulsar through its WebSocket API and admin REST. */
export class PulsarQueue implements Queue {
  private readonly admin: PulsarAdmin;
  private readonly wsBase: string;
  private readonly producers = new Map<string, WsProducer>();
  private readonly consumers = new Set<WsConsumer>();

  constructor(private readonly options: PulsarQueueOptions) {
    this.admin = new PulsarAdmin(options.webServiceUrl);
    this.wsBase = options.webServiceUrl.replace(/^http/, 'ws') + '/ws/v2';
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
    logger.info(`pulsar topics ready`, { tenant, topics: topics.map(({ topic }) => `${topic.namespace}/${topic.name}`).join(','), partitions });
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
    const consumer = new WsConsumer({
      url: `${this.wsBase}/consumer/${topicPath(tenant, topic)}/${encodeURIComponent(options.subscription)}`,
      subscription: options.subscription,
      topicName: `${topic.namespace}/${topic.name}`,
      receiverQueueSize: this.options.receiverQueueSize,
      maxRedeliveries: options.maxRedeliveries,
      redeliveryDelayMs: options.redeliveryDelayMs,
      deadLetters: this.producerFor(dead, 1, false),
      deadLetterTopicName: fullTopicName(tenant, dead),
      logger: this.options.logger,
    });
    this.consumers.add(consumer);
    return consumer;
  }

  /** Resolves once every producer made so far is connected. */
  async ready(ms: number): Promise<void> {
    await Promise.all([...this.producers.values()].map((producer) => producer.ready(ms)));
  }

  async backlog(topic: TopicRef): Promise<TopicBacklog | null> {
    const rows = await this.admin.backlog(topicPath(this.options.tenant, topic), fullTopicName(this.options.tenant, topic));
    if (!rows) return null;
    return { total: rows.reduce((sum, row) => sum + row.count, 0), backlog: rows };
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const { topic } of this.options.topics) {
      if (letters.length >= limit) break;
      letters.push(...(await this.readDeadLetters(deadLetterTopic(topic), limit - letters.length)));
    }
    return letters;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    await Promise.all([...this.producers.values()].map((producer) => producer.close()));
  }

  private producerFor(topic: TopicRef, connections: number, batching: boolean): WsProducer {
    const name = fullTopicName(this.options.tenant, topic);
    let producer = this.producers.get(name);
    if (!producer) {
      producer = new WsProducer({
        url: `${this.wsBase}/producer/${topicPath(this.options.tenant, topic)}`,
        connections,
        batching,
        sendTimeoutMs: this.options.sendTimeoutMs,
        logger: this.options.logger,
      });
      this.producers.set(name, producer);
    }
    return producer;
  }

  /** Reads a dead-letter topic from its start with a WebSocket reader, up to `limit` messages. */
  private readDeadLetters(topic: TopicRef, limit: number): Promise<DeadLetter[]> {
    const url = `${this.wsBase}/reader/${topicPath(this.options.tenant, topic)}?messageId=earliest&receiverQueueSize=${Math.max(1, limit)}`;
    return new Promise((resolve) => {
      const letters: DeadLetter[] = [];
      const socket = new WebSocket(url);
      let idle: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(idle);
        socket.terminate();
        resolve(letters);
      };
      const restartIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(finish, 300);
      };
      socket.on('open', restartIdle);
      socket.on('error', finish);
      socket.on('message', (raw) => {
        const message = JSON.parse(raw.toString()) as { messageId: string; payload: string; key?: string; properties?: Record<string, string> };
        socket.send(JSON.stringify({ messageId: message.messageId }));
        const props = message.properties ?? {};
        letters.push({
          topic: props['topic'] ?? `${topic.namespace}/${topic.name}`,
          subscription: props['subscription'] ?? '',
          key: message.key ?? '',
          data: Buffer.from(message.payload, 'base64'),
          reason: props['reason'] ?? 'redelivered too often (dead-lettered by the broker)',
          failedAt: props['failedAt'] ?? '',
          redeliveryCount: Number(props['redeliveryCount'] ?? 0),
        });
        if (letters.length >= limit) finish();
        else restartIdle();
      });
    });
  }
}

function sameTopic(a: TopicRef, b: TopicRef): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}
