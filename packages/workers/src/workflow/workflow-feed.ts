import type { Subject } from '../conditions/field-path.js';
import { errorMessage, InfrastructureError, type Queue, type TopicNames, type TraceSink } from '@inflow/core';
import { routedEntries } from '../dispatch/routed-entries.js';
import { subjectMessages } from '../dispatch/subject-messages.js';
import type { RuleDirectory } from './rule-directory.js';

/**
 * Hands stored events that some rule's trigger takes to the workflow role: a profile's events
 * in messages of at most 1 MB on the workflow topic (key = profile: one profile's events are
 * worked on in order).
 * Called by the collector with the dispatch feed; a retry publishes again, and the rule-run
 * marks make that harmless.
 */
export class WorkflowFeed {
  /** `trace`: where each stored event's rules are recorded ('routed'). */
  constructor(private readonly options: { queue: Queue; topics: TopicNames; rules: RuleDirectory; trace?: TraceSink | undefined }) {}

  /** Whether any rule takes events now. */
  listening(): Promise<boolean> {
    return this.options.rules.anyEnabled();
  }

  async publish(subjects: readonly Subject[]): Promise<number> {
    const triggered = await this.options.rules.matcher();
    const routes = subjects.map((subject) => ({ subject, targets: triggered(subject).map((rule) => rule.record.id) }));
    const taken = routes.filter((route) => route.targets.length > 0).map((route) => route.subject);
    if (taken.length === 0) return 0;
    const messages = subjectMessages('workflow', taken);
    try {
      await this.options.queue.producer(this.options.topics.workflow).send(messages);
    } catch (error) {
      throw new InfrastructureError('queue', `workflow feed: ${errorMessage(error)}`, { cause: error });
    }
    const { trace } = this.options;
    if (trace) for (const entry of routedEntries(routes, 'rules')) trace.record(entry);
    return messages.length;
  }
}
