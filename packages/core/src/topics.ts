import type { TopicRef } from './ports/queue.js';

export interface TopicNames {
  /** Raw /track requests queued by the edge (options.queue = true), many to a message. */
  collector: TopicRef;
  /** Stored events on their way to one destination: a topic per destination, so one cannot hold up another. */
  destination(destinationId: string): TopicRef;
  /** Namespace of the per-destination topics (made at run time). */
  dispatchNamespace: string;
  /** Stored events some rule's trigger takes, on their way to the workflow role (key = profile). */
  workflow: TopicRef;
  /** The subscription each worker role consumes with: every process of a role shares it. */
  subscriptions: { collector: string; dispatch: string; workflow: string };
}

export function topicNames(tenant: string, namespaces: { collector: string; dispatch: string; workflow: string }): TopicNames {
  return {
    collector: { namespace: namespaces.collector, name: 'payloads' },
    destination: (destinationId) => ({ namespace: namespaces.dispatch, name: `destination-${destinationId}` }),
    dispatchNamespace: namespaces.dispatch,
    workflow: { namespace: namespaces.workflow, name: 'events' },
    subscriptions: { collector: `${tenant}-collector`, dispatch: `${tenant}-dispatch`, workflow: `${tenant}-workflow` },
  };
}

/**
 * Each topic with the subscription that must exist before anything is sent to it (Pulsar keeps
 * messages only for existing subscriptions). Raw requests are ordered per key: the edge's
 * batches of one lane must reach the collector in the order they were published. The
 * per-destination topics are made at run time (Queue.ensureTopic).
 */
export function subscribedTopics(topics: TopicNames): Array<{ topic: TopicRef; subscription: string; ordered: boolean }> {
  return [
    { topic: topics.collector, subscription: topics.subscriptions.collector, ordered: true },
    { topic: topics.workflow, subscription: topics.subscriptions.workflow, ordered: true },
  ];
}
