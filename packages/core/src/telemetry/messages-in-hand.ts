import type { QueueMessage } from '../ports/queue.js';
import type { StageMeter } from './meters.js';

/**
 * The queue messages a worker holds and has not settled, with their events: each delivery is
 * counted received once (a batch handled again after an outage is the same delivery), and
 * leaves by being settled (the caller counts its outcome) or handed back (counted retried).
 */
export class MessagesInHand {
  readonly #events = new Map<QueueMessage, number>();

  constructor(private readonly meter: StageMeter | undefined) {}

  /** Counts a new delivery received; nothing when the message is already in hand. */
  take(message: QueueMessage, events: number): void {
    if (this.#events.has(message)) return;
    this.#events.set(message, events);
    this.meter?.received(events);
  }

  has(message: QueueMessage): boolean {
    return this.#events.has(message);
  }

  /** The message is settled: its events (for the caller's outcome count), or undefined when it was not in hand. */
  release(message: QueueMessage): number | undefined {
    const events = this.#events.get(message);
    this.#events.delete(message);
    return events;
  }

  /** Messages given back to the queue unsettled (a nack, or left unacknowledged at close) count as retried; by default every one in hand. */
  giveBack(messages: Iterable<QueueMessage> = [...this.#events.keys()]): void {
    for (const message of messages) {
      const events = this.release(message);
      if (events !== undefined) this.meter?.settled('retried', events);
    }
  }
}
