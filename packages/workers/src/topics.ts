import type { TopicRef } from './ports/queue.js';

export interface TopicNames {
  /** Raw /track requests queued by the edge (options.queue = true). */
  collector: TopicRef;
  /** Profiles, sessions and events made by the collector, waiting to be stored. */
  storage: TopicRef;
  /** The subscription each worker role consumes with: every process of a role shares it. */
  subscriptions: { collector: string; storage: string };
}

export function topicNames(tenant: string, namespaces: { collector: string; storage: string }): TopicNames {
  return {
    collector: { namespace: namespaces.collector, name: 'payloads' },
    storage: { namespace: namespaces.storage, name: 'records' },
    subscriptions: { collector: `${tenant}-collector`, storage: `${tenant}-storage` },
  };
}

/**
 * Each topic with the subscription that must exist before anything is sent to it, and
 * whether one key's messages must stay in order: raw requests must (a profile's state is
 * built request by request); storage records need not (the store keeps the highest version),
 * so their producer may batch.
 */
export function subscribedTopics(topics: TopicNames): Array<{ topic: TopicRef; subscription: string; ordered: boolean }> {
  return [
    { topic: topics.collector, subscription: topics.subscriptions.collector, ordered: true },
    { topic: topics.storage, subscription: topics.subscriptions.storage, ordered: false },
  ];
}
