import type { TopicRef } from './ports/queue.js';

export interface TopicNames {
  /** Raw /track requests queued by the edge (options.queue = true), many to a message. */
  collector: TopicRef;
  /** The subscription each worker role consumes with: every process of a role shares it. */
  subscriptions: { collector: string };
}

export function topicNames(tenant: string, namespaces: { collector: string }): TopicNames {
  return {
    collector: { namespace: namespaces.collector, name: 'payloads' },
    subscriptions: { collector: `${tenant}-collector` },
  };
}

/**
 * Each topic with the subscription that must exist before anything is sent to it (Pulsar keeps
 * messages only for existing subscriptions). Raw requests are ordered per key: the edge's
 * batches of one lane must reach the collector in the order they were published.
 */
export function subscribedTopics(topics: TopicNames): Array<{ topic: TopicRef; subscription: string; ordered: boolean }> {
  return [{ topic: topics.collector, subscription: topics.subscriptions.collector, ordered: true }];
}
