import type { Subject } from '../conditions/field-path.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { QueueConsumer, QueueMessage } from '../ports/queue.js';
import { CircuitBreaker, type CircuitSettings } from './circuit-breaker.js';
import { decideDelivery, isTransient, type AttemptOutcome } from './delivery-decision.js';
import type { ActiveDestination } from './destination-directory.js';
import { decodeSubjects } from './subject-messages.js';
import { sleepUnless } from './interruptible-sleep.js';
import { hasMissingSecrets, resolveHeaders, type Secrets } from './secrets.js';
import { idempotencyKey, type SendWebhook } from './webhook-sender.js';

export interface DestinationLaneOptions {
  consumer: QueueConsumer;
  /** The destination as it is now (edits, pauses): read before every batch and attempt. */
  current(): ActiveDestination | undefined;
  send: SendWebhook;
  /** Values of the secrets destinations name, from configuration. */
  secrets: Secrets;
  batchSize: number;
  waitMs: number;
  circuit: CircuitSettings;
  logger: Logger;
}

export interface LaneCounts {
  delivered: number;
  deadLettered: number;
  retried: number;
}

/** How often a paused or missing-secret destination looks again. */
const IDLE_MS = 500;
/** A destination whose secrets are missing waits this long between looks: fixing the configuration delivers them. */
const MISSING_SECRET_WAIT_MS = 5_000;

/**
 * Delivers one destination's queue: messages of different profiles in parallel (up to the
 * destination's concurrency), one profile's events strictly in order, each retried in place
 * until delivered or given up (then dead-lettered with the last answer); a message is
 * acknowledged once every event in it is settled. A circuit breaker holds the lane while the
 * receiver keeps failing; a paused destination takes nothing. Closing leaves unfinished
 * messages unacknowledged: they are delivered again, with the same Idempotency-Key.
 */
export class DestinationLane {
  readonly counts: LaneCounts = { delivered: 0, deadLettered: 0, retried: 0 };
  private readonly breaker: CircuitBreaker;
  private readonly stop = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly options: DestinationLaneOptions) {
    this.breaker = new CircuitBreaker(options.circuit);
  }

  start(): void {
    this.running ??= this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
    await this.options.consumer.close();
  }

  get circuit(): string {
    return this.breaker.current;
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    while (!this.stop.signal.aborted) {
      const destination = this.options.current();
      if (!destination || destination.record.paused) {
        await sleepUnless(IDLE_MS, this.stop.signal);
        continue;
      }
      let messages: QueueMessage[];
      try {
        messages = await this.options.consumer.receive(this.options.batchSize, this.options.waitMs);
      } catch (error) {
        logger.warn(`receive failed: ${errorMessage(error)}`);
        await sleepUnless(IDLE_MS, this.stop.signal);
        continue;
      }
      if (messages.length === 0) continue;
      const started = performance.now();
      const before = { ...this.counts };
      await this.deliverBatch(messages, destination.record.delivery.concurrency);
      logger.info(
        `Dispatch ${destination.record.id}: messages ${messages.length}, delivered ${this.counts.delivered - before.delivered}, retried ${this.counts.retried - before.retried}, dead-lettered ${this.counts.deadLettered - before.deadLettered}, ${Math.round(performance.now() - started)} ms`,
      );
    }
  }

  /** Profiles in parallel, each profile's messages in order. */
  private async deliverBatch(messages: QueueMessage[], concurrency: number): Promise<void> {
    const byKey = new Map<string, QueueMessage[]>();
    for (const message of messages) byKey.set(message.key, [...(byKey.get(message.key) ?? []), message]);
    const chains = [...byKey.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chains.length && !this.stop.signal.aborted) {
        for (const message of chains[next++] ?? []) {
          if (!(await this.deliverMessage(message))) return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chains.length) }, worker));
  }

  /** true when the message is settled and acknowledged; false when the lane is closing. */
  private async deliverMessage(message: QueueMessage): Promise<boolean> {
    const decoded = decodeSubjects(message.data);
    if (!decoded) {
      await this.options.consumer.deadLetter(message, 'not a dispatch message');
      this.counts.deadLettered += 1;
      return true;
    }
    for (const subject of decoded.subjects) {
      const settled = await this.deliverSubject(subject);
      if (settled === 'closing') return false;
      if (settled.kind === 'dead-letter') {
        await this.options.consumer.deadLetterPart(message, Buffer.from(JSON.stringify({ ...decoded, subjects: [subject] })), settled.reason);
        this.counts.deadLettered += 1;
        this.options.logger.warn(`event ${subject.event.id} dead-lettered for ${decoded.destination}: ${settled.reason}`);
      } else {
        this.counts.delivered += 1;
      }
    }
    await this.options.consumer.ack([message]);
    return true;
  }

  private async deliverSubject(subject: Subject): Promise<{ kind: 'delivered' } | { kind: 'dead-letter'; reason: string } | 'closing'> {
    const firstAttemptAt = Date.now();
    for (let attempts = 1; ; attempts++) {
      const destination = await this.ready();
      if (!destination) return 'closing';
      const headers = resolveHeaders(destination.record, this.options.secrets);
      if (hasMissingSecrets(headers)) {
        const names = headers.missing.map((missing) => missing.secret).join(', ');
        this.options.logger.error(`destination ${destination.record.id} names secrets that are not configured (${names}); its events wait`);
        await sleepUnless(MISSING_SECRET_WAIT_MS, this.stop.signal);
        attempts -= 1;
        continue;
      }
      const { record } = destination;
      const outcome: AttemptOutcome = await this.options.send({
        url: record.webhook.url,
        method: record.webhook.method,
        headers: headers.headers,
        body: destination.render(subject),
        timeoutMs: record.webhook.timeoutMs,
        idempotencyKey: idempotencyKey(record.id, record.revision, subject.event.id),
      });
      const policy = { minAttempts: record.delivery.minAttempts, maxAgeMs: record.delivery.maxAgeMs, baseDelayMs: 500, maxDelayMs: 60_000 };
      const decision = decideDelivery(outcome, { attempts, firstAttemptAt, now: Date.now() }, policy);
      if (isTransient(outcome)) this.breaker.failed(Date.now());
      else this.breaker.succeeded();
      if (decision.kind !== 'retry') return decision;
      this.counts.retried += 1;
      this.options.logger.debug(`event ${subject.event.id} to ${record.id}: ${decision.reason}; again in ${decision.afterMs} ms`);
      await sleepUnless(decision.afterMs, this.stop.signal);
    }
  }

  /** Waits while the destination is paused or its circuit is open; undefined once closing. */
  private async ready(): Promise<ActiveDestination | undefined> {
    for (;;) {
      if (this.stop.signal.aborted) return undefined;
      const destination = this.options.current();
      if (destination && !destination.record.paused && this.breaker.allows(Date.now())) return destination;
      const reopensAt = this.breaker.reopensAt();
      await sleepUnless(reopensAt > Date.now() ? Math.min(reopensAt - Date.now(), IDLE_MS * 4) : IDLE_MS, this.stop.signal);
    }
  }
}
