import { decodeQueuedRequests } from '../envelope/envelope-batch.js';
import type { Envelope } from '../envelope/envelope.js';
import { isInfrastructureError } from '../errors.js';
import type { QueueMessage } from '../ports/queue.js';
import { consumeLoop, type WorkerOptions } from '../util/consume-loop.js';
import type { Lifecycle } from '../util/lifecycle.js';
import type { Collector } from './collector.js';

export interface CollectorWorkerOptions extends WorkerOptions {
  collector: Collector;
}

/**
 * The queued path: takes batches of raw requests from the collector topic, runs the Collector
 * the edge runs in place (profiles, sessions and events written to the store), and
 * acknowledges a message only once everything in it is stored. A request that cannot be read
 * or applied goes to the dead letters alone, with its reason; the rest of its batch goes on.
 * When the store or the cache is unreachable the batch is kept and tried again with backoff:
 * that never counts toward the dead-letter limit.
 */
export function createCollectorWorker(options: CollectorWorkerOptions): Lifecycle {
  const { queue, collector, logger } = options;
  const consumer = queue.consumer(options.input, options.consumer);

  async function handle(messages: QueueMessage[]): Promise<void> {
    const started = performance.now();
    const envelopes: Envelope[] = [];
    const owner: QueueMessage[] = [];
    let deadLettered = 0;
    for (const message of messages) {
      for (const request of decodeQueuedRequests(message.data)) {
        if (request.ok) {
          envelopes.push(request.envelope);
          owner.push(message);
        } else {
          deadLettered += 1;
          logger.warn(`dead-lettering a request of message ${message.id}: ${request.reason}`);
          await consumer.deadLetterPart(message, request.data, request.reason);
        }
      }
    }

    const outcomes = await collector.processAll(envelopes);
    let stored = 0;
    let events = 0;
    for (const [i, outcome] of outcomes.entries()) {
      const envelope = envelopes[i] as Envelope;
      if (outcome.kind === 'stored') {
        stored += 1;
        events += outcome.accepted.events.length;
        continue;
      }
      deadLettered += 1;
      logger.warn(`dead-lettering request ${envelope.id}: ${outcome.reason}`);
      const message = owner[i] as QueueMessage;
      await consumer.deadLetterPart(message, Buffer.from(JSON.stringify(envelope)), outcome.reason);
    }
    await consumer.ack(messages);
    logger.info(
      `Collector: messages ${messages.length}, requests ${envelopes.length + deadLettered}, stored ${stored}, events ${events}, dead-lettered ${deadLettered}, ${Math.round(performance.now() - started)} ms`,
    );
  }

  return consumeLoop({
    consumer,
    handle,
    batchSize: options.batchSize,
    waitMs: options.waitMs,
    logger,
    isTransient: isInfrastructureError,
  });
}
