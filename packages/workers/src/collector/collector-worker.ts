import { decodeEnvelope } from '../envelope/envelope.js';
import { errorMessage, isPoisonMessage } from '../errors.js';
import type { QueueMessage, TopicRef } from '../ports/queue.js';
import type { StorageBatch } from '../records/records.js';
import { encodeStorageMessages } from '../records/storage-batch-codec.js';
import { consumeLoop, type WorkerOptions } from '../util/consume-loop.js';
import type { Lifecycle } from '../util/lifecycle.js';
import type { Collector } from './collector.js';

export interface CollectorWorkerOptions extends WorkerOptions {
  output: TopicRef;
  collector: Collector;
}

/**
 * The queued path: takes raw requests from the collector topic, runs the same Collector
 * the edge runs in-request, and hands the records to the storage topic.
 */
export function createCollectorWorker(options: CollectorWorkerOptions): Lifecycle {
  const { queue, collector, logger } = options;
  const consumer = queue.consumer(options.input, options.consumer);
  const storage = queue.producer(options.output);

  async function handle(messages: QueueMessage[]): Promise<void> {
    const started = performance.now();
    const processed: QueueMessage[] = [];
    const retry: QueueMessage[] = [];
    const collected: StorageBatch[] = [];
    let poisoned = 0;
    let events = 0;
    await Promise.all(
      messages.map(async (message) => {
        try {
          const { batch } = await collector.process(decodeEnvelope(message.data));
          collected.push(batch);
          processed.push(message);
          events += batch.events.length;
        } catch (error) {
          if (isPoisonMessage(error)) {
            poisoned += 1;
            logger.warn(`dead-lettering message ${message.id}: ${error.message}`);
            await consumer.deadLetter(message, error.message);
          } else {
            logger.error(`processing message ${message.id} failed: ${errorMessage(error)}`);
            retry.push(message);
          }
        }
      }),
    );
    if (collected.length > 0) await storage.send(encodeStorageMessages(collected));
    if (processed.length > 0) await consumer.ack(processed);
    if (retry.length > 0) await consumer.nack(retry, 'collector failed');
    logger.info(
      `Collector: processed ${processed.length}, events ${events}, retried ${retry.length}, dead-lettered ${poisoned}, ${Math.round(performance.now() - started)} ms`,
    );
  }

  return consumeLoop({ consumer, handle, batchSize: options.batchSize, waitMs: options.waitMs, logger });
}
