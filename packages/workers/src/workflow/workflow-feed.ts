import type { Subject } from '../conditions/field-path.js';
import { errorMessage, InfrastructureError, type Queue, type TopicNames } from '@inflow/core';
import { encodeSubjects, subjectsByProfile } from '../dispatch/subject-messages.js';
import type { RuleDirectory } from './rule-directory.js';

/**
 * Hands stored events that some rule's trigger takes to the workflow role: one message per
 * profile on the workflow topic (key = profile: one profile's events are worked on in order).
 * Called by the collector with the dispatch feed; a retry publishes again, and the rule-run
 * marks make that harmless.
 */
export class WorkflowFeed {
  constructor(private readonly options: { queue: Queue; topics: TopicNames; rules: RuleDirectory }) {}

  async publish(subjects: readonly Subject[]): Promise<number> {
    const triggered = await this.options.rules.matcher();
    const taken = subjects.filter((subject) => triggered(subject).length > 0);
    if (taken.length === 0) return 0;
    const messages = [...subjectsByProfile(taken)].map(([profileId, list]) => ({ key: profileId, data: encodeSubjects('workflow', list) }));
    try {
      await this.options.queue.producer(this.options.topics.workflow).send(messages);
    } catch (error) {
      throw new InfrastructureError('queue', `workflow feed: ${errorMessage(error)}`, { cause: error });
    }
    return messages.length;
  }
}
