import type { TopicRef } from './ports/queue.js';

export interface TopicNames {
  /** Raw /track requests queued by the edge (options.queue = true). */
  collector: TopicRef;
  /** Profiles, sessions and events made by the collector, waiting to be stored. */
  storage: TopicRef;
}

export function topicNames(namespaces: { collector: string; storage: string }): TopicNames {
  return {
    collector: { namespace: namespaces.collector, name: 'payloads' },
    storage: { namespace: namespaces.storage, name: 'records' },
  };
}
