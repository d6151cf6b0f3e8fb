import { isPoisonMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { QueueMessage } from '../ports/queue.js';
import type { KindResult, RecordStore } from '../ports/store.js';
import type { StorageBatch } from '../records/records.js';
import { decodeStorageMessage } from '../records/storage-batch-codec.js';
import { consumeLoop, type WorkerOptions } from '../util/consume-loop.js';
import type { Lifecycle } from '../util/lifecycle.js';
import { mergeBatches } from './merge-batches.js';

export interface StorageWorkerOptions extends WorkerOptions {
  store: RecordStore;
}

/**
 * The background storage stage: takes collected records from the queue and writes them in
 * batches. A message is acknowledged only after everything in it is stored.
 */
export function createStorageWorker(options: StorageWorkerOptions): Lifecycle {
  const { queue, store, logger } = options;
  const consumer = queue.consumer(options.input, options.consumer);

  async function handle(messages: QueueMessage[]): Promise<void> {
    const decoded: Array<{ message: QueueMessage; batches: StorageBatch[] }> = [];
    for (const message of messages) {
      try {
        decoded.push({ message, batches: decodeStorageMessage(message.data) });
      } catch (error) {
        if (!isPoisonMessage(error)) throw error;
        logger.warn(`dead-lettering message ${message.id}: ${error.message}`);
        await consumer.deadLetter(message, error.message);
      }
    }
    if (decoded.length === 0) return;

    const started = performance.now();
    const result = await store.write(mergeBatches(decoded.flatMap((item) => item.batches)));
    const ms = Math.round(performance.now() - started);
    logKind(logger, 'Profiles', result.profiles, ms);
    logKind(logger, 'Sessions', result.sessions, ms);
    logKind(logger, 'Events', result.events, ms);

    const failed = new Map<string, Failure>();
    for (const [kind, outcome] of [['profile', result.profiles], ['session', result.sessions], ['event', result.events]] as const) {
      for (const item of outcome.failed) failed.set(`${kind}:${item.id}`, { reason: item.reason, permanent: item.permanent ?? false });
    }
    const done: QueueMessage[] = [];
    for (const { message, batches } of decoded) {
      const failure = failureOf(batches, failed);
      if (failure === undefined) done.push(message);
      else if (failure.permanent) await consumer.deadLetter(message, failure.reason);
      else await consumer.nack([message], failure.reason);
    }
    if (done.length > 0) await consumer.ack(done);
  }

  return consumeLoop({ consumer, handle, batchSize: options.batchSize, waitMs: options.waitMs, logger });
}

interface Failure {
  reason: string;
  permanent: boolean;
}

/** The first failure among a message's records, a permanent one first (it decides the message's fate). */
function failureOf(batches: StorageBatch[], failed: Map<string, Failure>): Failure | undefined {
  if (failed.size === 0) return undefined;
  const keys = batches.flatMap((batch) => [
    `profile:${batch.profile.id}`,
    `session:${batch.session.id}`,
    ...batch.events.map((event) => `event:${event.id}`),
  ]);
  const failures = keys.map((key) => failed.get(key)).filter((failure): failure is Failure => failure !== undefined);
  return failures.find((failure) => failure.permanent) ?? failures[0];
}

function logKind(logger: Logger, kind: string, result: KindResult, ms: number): void {
  const line = `${kind}: saved ${result.saved}, unchanged ${result.stale}, errors ${result.failed.length}, ${ms} ms`;
  if (result.failed.length > 0) logger.warn(line, { firstError: result.failed[0]?.reason });
  else logger.info(line);
}
