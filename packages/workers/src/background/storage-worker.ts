import { isPoisonMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { ConsumerOptions, Queue, QueueMessage, TopicRef } from '../ports/queue.js';
import type { KindResult, RecordStore } from '../ports/store.js';
import type { StorageBatch } from '../records/records.js';
import { decodeStorageBatch } from '../records/storage-batch-codec.js';
import { consumeLoop } from '../util/consume-loop.js';
import type { Lifecycle } from '../util/lifecycle.js';
import { mergeBatches } from './merge-batches.js';

export interface StorageWorkerOptions {
  queue: Queue;
  input: TopicRef;
  consumer: ConsumerOptions;
  store: RecordStore;
  batchSize: number;
  /** Longest wait for a first message of a batch. */
  waitMs: number;
  logger: Logger;
}

/**
 * The background storage stage: takes collected records from the queue and writes them in
 * batches. A message is acknowledged only after everything in it is stored.
 */
export function createStorageWorker(options: StorageWorkerOptions): Lifecycle {
  const { queue, store, logger } = options;
  const consumer = queue.consumer(options.input, options.consumer);

  async function handle(messages: QueueMessage[]): Promise<void> {
    const decoded: Array<{ message: QueueMessage; batch: StorageBatch }> = [];
    for (const message of messages) {
      try {
        decoded.push({ message, batch: decodeStorageBatch(message.data) });
      } catch (error) {
        if (!isPoisonMessage(error)) throw error;
        logger.warn(`dead-lettering message ${message.id}: ${error.message}`);
        await consumer.deadLetter(message, error.message);
      }
    }
    if (decoded.length === 0) return;

    const started = performance.now();
    const result = await store.write(mergeBatches(decoded.map((item) => item.batch)));
    const ms = Math.round(performance.now() - started);
    logKind(logger, 'Profiles', result.profiles, ms);
    logKind(logger, 'Sessions', result.sessions, ms);
    logKind(logger, 'Events', result.events, ms);

    const failed = new Map<string, string>();
    for (const kind of [result.profiles, result.sessions, result.events]) {
      for (const item of kind.failed) failed.set(item.id, item.reason);
    }
    const done: QueueMessage[] = [];
    for (const { message, batch } of decoded) {
      const reason = failureOf(batch, failed);
      if (reason === undefined) done.push(message);
      else await consumer.nack([message], reason);
    }
    if (done.length > 0) await consumer.ack(done);
  }

  return consumeLoop({ consumer, handle, batchSize: options.batchSize, waitMs: options.waitMs, logger });
}

function failureOf(batch: StorageBatch, failed: Map<string, string>): string | undefined {
  if (failed.size === 0) return undefined;
  const ids = [batch.profile.id, batch.session.id, ...batch.events.map((event) => event.id)];
  for (const id of ids) {
    const reason = failed.get(id);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function logKind(logger: Logger, kind: string, result: KindResult, ms: number): void {
  const line = `${kind}: saved ${result.saved}, unchanged ${result.stale}, errors ${result.failed.length}, ${ms} ms`;
  if (result.failed.length > 0) logger.warn(line, { firstError: result.failed[0]?.reason });
  else logger.info(line);
}
