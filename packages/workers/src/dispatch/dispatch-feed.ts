import type { Subject } from '../conditions/field-path.js';
import { errorMessage, InfrastructureError, type OutgoingMessage, type Queue, type QueueProducer, type TopicNames, type TraceSink } from '@inflow/core';
import type { DestinationDirectory } from './destination-directory.js';
import { routedEntries } from './routed-entries.js';
import { subjectMessages } from './subject-messages.js';

export interface DispatchFeedOptions {
  queue: Queue;
  topics: TopicNames;
  directory: DestinationDirectory;
  /** Where each stored event's destinations are recorded ('routed'). */
  trace?: TraceSink | undefined;
}

/**
 * Hands stored events to the destinations whose trigger they meet: per destination and profile,
 * messages of at most 1 MB on that destination's own topic, keyed by profile (order per profile). Called by
 * the collector after the store took the events and before the request counts as done, so an
 * event is in every matching destination's queue before its request is acknowledged; a retry
 * publishes again, which the Idempotency-Key makes harmless.
 */
export class DispatchFeed {
  private readonly producers = new Map<string, Promise<QueueProducer>>();

  constructor(private readonly options: DispatchFeedOptions) {}

  /** Whether any destination takes events now. */
  listening(): Promise<boolean> {
    return this.options.directory.anyEnabled();
  }

  /** Publishes; throws InfrastructureError when the queue cannot take it (the collector retries). */
  async publish(subjects: readonly Subject[]): Promise<number> {
    if (subjects.length === 0) return 0;
    const byDestination = new Map<string, Subject[]>();
    const matching = await this.options.directory.matcher();
    const { trace } = this.options;
    const routes: Array<{ subject: Subject; targets: string[] }> = [];
    for (const subject of subjects) {
      const targets: string[] = [];
      for (const destination of matching(subject)) {
        const list = byDestination.get(destination.record.id);
        if (list) list.push(subject);
        else byDestination.set(destination.record.id, [subject]);
        if (trace) targets.push(destination.record.id);
      }
      if (trace && targets.length > 0) routes.push({ subject, targets });
    }
    let published = 0;
    await Promise.all([...byDestination].map(async ([destination, list]) => (published += await this.publishTo(destination, list))));
    if (trace) for (const entry of routedEntries(routes, 'destinations')) trace.record(entry);
    return published;
  }

  /** Queues subjects for one destination whatever its trigger (a rule's dispatch action). */
  async publishTo(destination: string, subjects: readonly Subject[]): Promise<number> {
    const messages: OutgoingMessage[] = subjectMessages(destination, subjects);
    try {
      await (await this.producer(destination)).send(messages);
    } catch (error) {
      throw new InfrastructureError('queue', `dispatch feed: ${errorMessage(error)}`, { cause: error });
    }
    return messages.length;
  }

  private producer(destinationId: string): Promise<QueueProducer> {
    let producer = this.producers.get(destinationId);
    if (!producer) {
      const topic = this.options.topics.destination(destinationId);
      producer = this.options.queue.ensureTopic(topic, this.options.topics.subscriptions.dispatch).then(() => this.options.queue.producer(topic));
      // A failed creation is tried again next time.
      producer.catch(() => this.producers.delete(destinationId));
      this.producers.set(destinationId, producer);
    }
    return producer;
  }
}
