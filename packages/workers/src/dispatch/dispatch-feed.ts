import type { Subject } from '../conditions/field-path.js';
import { InfrastructureError, errorMessage } from '../errors.js';
import type { OutgoingMessage, Queue, QueueProducer } from '../ports/queue.js';
import type { TopicNames } from '../topics.js';
import type { DestinationDirectory } from './destination-directory.js';

/** What a destination's topic carries: one profile's stored events, in order, with the state they left. */
export interface DispatchMessage {
  v: 1;
  destination: string;
  subjects: Subject[];
}

export interface DispatchFeedOptions {
  queue: Queue;
  topics: TopicNames;
  directory: DestinationDirectory;
}

/**
 * Hands stored events to the destinations whose trigger they meet: one message per destination
 * and profile, on that destination's own topic, keyed by profile (order per profile). Called by
 * the collector after the store took the events and before the request counts as done, so an
 * event is in every matching destination's queue before its request is acknowledged; a retry
 * publishes again, which the Idempotency-Key makes harmless.
 */
export class DispatchFeed {
  private readonly producers = new Map<string, Promise<QueueProducer>>();

  constructor(private readonly options: DispatchFeedOptions) {}

  /** Publishes; throws InfrastructureError when the queue cannot take it (the collector retries). */
  async publish(subjects: readonly Subject[]): Promise<number> {
    if (subjects.length === 0) return 0;
    const byDestination = new Map<string, Map<string, Subject[]>>();
    for (const subject of subjects) {
      for (const destination of await this.options.directory.matching(subject)) {
        const byProfile = byDestination.get(destination.record.id) ?? new Map<string, Subject[]>();
        byDestination.set(destination.record.id, byProfile);
        const list = byProfile.get(subject.profile.id) ?? [];
        byProfile.set(subject.profile.id, list);
        list.push(subject);
      }
    }
    let published = 0;
    try {
      await Promise.all(
        [...byDestination].map(async ([destination, byProfile]) => {
          const messages: OutgoingMessage[] = [...byProfile].map(([profileId, list]) => ({
            key: profileId,
            data: Buffer.from(JSON.stringify({ v: 1, destination, subjects: list } satisfies DispatchMessage)),
          }));
          await (await this.producer(destination)).send(messages);
          published += messages.length;
        }),
      );
    } catch (error) {
      throw new InfrastructureError('queue', `dispatch feed: ${errorMessage(error)}`, { cause: error });
    }
    return published;
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

/** The message as the dispatcher reads it; null when it is not one (dead-lettered with that reason). */
export function decodeDispatchMessage(data: Uint8Array): DispatchMessage | null {
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<DispatchMessage>;
    if (parsed.v !== 1 || typeof parsed.destination !== 'string' || !Array.isArray(parsed.subjects)) return null;
    return parsed as DispatchMessage;
  } catch {
    return null;
  }
}
