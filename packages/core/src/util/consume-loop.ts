import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { ConsumerOptions, Queue, QueueConsumer, QueueMessage, TopicRef } from '../ports/queue.js';
import type { Lifecycle } from './lifecycle.js';
import { sleep } from './timeout.js';

/** What every queue-consuming worker is given. */
export interface WorkerOptions {
  queue: Queue;
  input: TopicRef;
  consumer: ConsumerOptions;
  batchSize: number;
  /** Bytes of message data a batch holds at most (a first message larger than this goes alone). */
  batchBytes?: number | undefined;
  /** Longest wait for a first message of a batch. */
  waitMs: number;
  logger: Logger;
}

export interface ConsumeLoopOptions {
  consumer: QueueConsumer;
  /** Handles one batch; it must ack, nack or dead-letter every message it was given. */
  handle(messages: QueueMessage[]): Promise<void>;
  batchSize: number;
  /** Bytes of message data a batch holds at most (at least one message). */
  batchBytes?: number | undefined;
  /** How long to wait for a first message before polling again. */
  waitMs: number;
  logger: Logger;
  /**
   * Failures that say nothing about the messages (a service is down): the batch is kept and
   * handled again after a backoff, without counting a redelivery. Others nack the batch.
   */
  isTransient?: (error: unknown) => boolean;
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

/** Longest single wait for messages, so that close() never waits long for an idle loop. */
const MAX_WAIT_MS = 250;

/**
 * Receives batches and hands them to `handle` one at a time until closed. `close` lets the
 * batch in hand finish, then closes the consumer: nothing is left half-done.
 */
export function consumeLoop(options: ConsumeLoopOptions): Lifecycle {
  const { consumer, logger } = options;
  let running = false;
  let loop: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  async function run(): Promise<void> {
    while (running) {
      let messages: QueueMessage[];
      try {
        messages = await consumer.receive(options.batchSize, Math.min(options.waitMs, MAX_WAIT_MS), options.batchBytes);
      } catch (error) {
        logger.error(`receive failed: ${errorMessage(error)}`);
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      await handleWithRetry(messages);
    }
  }

  async function handleWithRetry(messages: QueueMessage[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.handle(messages);
        if (attempt > 1) logger.info(`batch of ${messages.length} handled after ${attempt} attempts`);
        return;
      } catch (error) {
        if (options.isTransient?.(error)) {
          const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
          logger.warn(`batch of ${messages.length} waits ${Math.round(backoff)} ms (attempt ${attempt}): ${errorMessage(error)}`);
          await sleep(backoff);
          // Closing: leave the batch unacknowledged; it is delivered again to whoever consumes next.
          if (!running) return;
          continue;
        }
        logger.error(`batch failed, redelivering ${messages.length}: ${errorMessage(error)}`);
        await consumer.nack(messages, errorMessage(error)).catch((nackError: unknown) => {
          logger.error(`nack failed: ${errorMessage(nackError)}`);
        });
        return;
      }
    }
  }

  return {
    async start() {
      if (running || closing) return;
      running = true;
      loop = run();
    },
    close() {
      closing ??= (async () => {
        running = false;
        await loop;
        await consumer.close();
      })();
      return closing;
    },
  };
}
