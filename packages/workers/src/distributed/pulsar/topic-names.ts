import type { TopicRef } from '@inflow/core';

/** persistent://tenant/namespace/name */
export function fullTopicName(tenant: string, topic: TopicRef): string {
  return `persistent://${tenant}/${topic.namespace}/${topic.name}`;
}

/** persistent/tenant/namespace/name: the form the WebSocket and admin URLs take. */
export function topicPath(tenant: string, topic: TopicRef): string {
  return `persistent/${tenant}/${topic.namespace}/${topic.name}`;
}

/** Where messages of a subscription go once they can never be processed. */
export function deadLetterTopic(topic: TopicRef): TopicRef {
  return { namespace: topic.namespace, name: `${topic.name}${DEAD_LETTER_SUFFIX}` };
}

const DEAD_LETTER_SUFFIX = '-dead-letters';

export function isDeadLetterTopicName(name: string): boolean {
  return name.endsWith(DEAD_LETTER_SUFFIX);
}

/**
 * Whether a namespace or topic name is one Pulsar accepts (letters, digits and `_-=:.`, not `.`
 * or `..`). Any other name cannot exist, and must not reach an admin URL, where `?`, `#`, `/` or
 * a space would change what is asked.
 */
export function isPulsarName(name: string): boolean {
  return /^[\w\-=:.]{1,255}$/.test(name) && name !== '.' && name !== '..';
}
