import type { Subject } from '../conditions/field-path.js';
import { type DestinationMeter, errorMessage, type Logger, type QueueConsumer, type QueueMessage, sleepUnless, type TraceEntry, type TraceSink } from '@inflow/core';
import { CircuitBreaker, type CircuitSettings } from './circuit-breaker.js';
import { decideDelivery, isTransient, type AttemptOutcome } from './delivery-decision.js';
import type { ActiveDestination } from './destination-directory.js';
import { decodeSubjects } from './subject-messages.js';
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
  /** The destination's counters (events received, delivered, dead-lettered, given back; attempts). */
  meter?: DestinationMeter | undefined;
  /** Where deliveries, failed attempts and dead letters are recorded. */
  trace?: TraceSink | undefined;
}

export interface LaneCounts {
  delivered: number;
  deadLettered: number;
  retried: number;
}

/** How often a lane says what it did (when it did something). */
const LOG_EVERY_MS = 2_000;

/** At most `limit` tasks at once (the limit read at each start: a destination's concurrency may change). */
class Slots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  async run<T>(limit: number, task: () => Promise<T>): Promise<T> {
    while (this.busy >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy += 1;
    try {
      return await task();
    } finally {
      this.busy -= 1;
      this.waiting.shift()?.();
    }
  }
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
  private readonly slots = new Slots();
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

  /**
   * Takes messages while fewer than four times the destination's concurrency are unsettled, and
   * chains each after the one before it with the same key (profile): profiles go in parallel,
   * one profile in order, and a slow profile never holds up the messages behind it of others.
   */
  private async run(): Promise<void> {
    const { logger } = this.options;
    const tails = new Map<string, Promise<void>>();
    let unsettled = 0;
    let wake: (() => void) | undefined;
    let logged = { at: performance.now(), counts: { ...this.counts } };
    while (!this.stop.signal.aborted) {
      const destination = this.options.current();
      if (!destination || destination.record.paused) {
        await sleepUnless(IDLE_MS, this.stop.signal);
        continue;
      }
      const concurrency = destination.record.delivery.concurrency;
      const room = concurrency * 4 - unsettled;
      if (room <= 0) {
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleepUnless(IDLE_MS, this.stop.signal)]);
        continue;
      }
      let messages: QueueMessage[];
      try {
        messages = await this.options.consumer.receive(Math.min(this.options.batchSize, room), this.options.waitMs);
      } catch (error) {
        logger.warn(`receive failed: ${errorMessage(error)}`);
        await sleepUnless(IDLE_MS, this.stop.signal);
        continue;
      }
      for (const message of messages) {
        unsettled += 1;
        const tail = (tails.get(message.key) ?? Promise.resolve())
          .then(() => this.slots.run(concurrency, () => this.deliverMessage(message)))
          .catch((error: unknown) => logger.error(`message ${message.id} left unsettled (delivered again later): ${errorMessage(error)}`))
          .then(() => {
            unsettled -= 1;
            if (tails.get(message.key) === tail) tails.delete(message.key);
            wake?.();
          });
        tails.set(message.key, tail);
      }
      if (performance.now() - logged.at >= LOG_EVERY_MS) logged = this.logProgress(destination.record.id, logged);
    }
    await Promise.all(tails.values());
  }

  private logProgress(id: string, since: { at: number; counts: LaneCounts }): { at: number; counts: LaneCounts } {
    const { delivered, retried, deadLettered } = this.counts;
    if (delivered + retried + deadLettered > since.counts.delivered + since.counts.retried + since.counts.deadLettered) {
      this.options.logger.info(
        `Dispatch ${id}: delivered ${delivered - since.counts.delivered}, retried ${retried - since.counts.retried}, dead-lettered ${deadLettered - since.counts.deadLettered}, ${Math.round(performance.now() - since.at)} ms`,
      );
    }
    return { at: performance.now(), counts: { ...this.counts } };
  }

  /** true when the message is settled and acknowledged; false when the lane is closing. */
  private async deliverMessage(message: QueueMessage): Promise<boolean> {
    const { meter, trace, consumer } = this.options;
    const decoded = decodeSubjects(message.data);
    if (!decoded) {
      meter?.received(1);
      await consumer.deadLetter(message, 'not a dispatch message').catch((error: unknown) => {
        meter?.settled('retried', 1);
        throw error;
      });
      meter?.settled('dead_lettered', 1);
      this.counts.deadLettered += 1;
      return true;
    }
    const total = decoded.subjects.length;
    meter?.received(total);
    let settled = 0;
    try {
      for (const subject of decoded.subjects) {
        const outcome = await this.deliverSubject(subject, decoded.destination);
        if (outcome === 'closing') break;
        if (outcome.kind === 'dead-letter') {
          await consumer.deadLetterPart(message, Buffer.from(JSON.stringify({ ...decoded, subjects: [subject] })), outcome.reason);
          this.counts.deadLettered += 1;
          meter?.settled('dead_lettered', 1);
          trace?.record(entry(subject, 'dead-lettered', { destination: decoded.destination, reason: outcome.reason, stage: 'dispatch' }));
          this.options.logger.warn(`event ${subject.event.id} dead-lettered for ${decoded.destination}: ${outcome.reason}`);
        } else {
          this.counts.delivered += 1;
          meter?.settled('delivered', 1);
        }
        settled += 1;
      }
    } finally {
      // Closing, or a failure the lane logs: the rest is left unacknowledged and comes again.
      if (settled < total) meter?.settled('retried', total - settled);
    }
    if (settled < total) return false;
    await consumer.ack([message]);
    return true;
  }

  private async deliverSubject(subject: Subject, destinationId: string): Promise<{ kind: 'delivered' } | { kind: 'dead-letter'; reason: string } | 'closing'> {
    const { meter, trace } = this.options;
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
        idempotencyKey: idempotencyKey(record.id, record.revision, subject.event),
      });
      const policy = { minAttempts: record.delivery.minAttempts, maxAgeMs: record.delivery.maxAgeMs, baseDelayMs: 500, maxDelayMs: 60_000 };
      const decision = decideDelivery(outcome, { attempts, firstAttemptAt, now: Date.now() }, policy);
      if (isTransient(outcome)) this.breaker.failed(Date.now());
      else this.breaker.succeeded();
      meter?.attempt(decision.kind === 'delivered');
      if (decision.kind === 'delivered') trace?.record(entry(subject, 'delivered', { destination: destinationId, status: statusOf(outcome), attempts }));
      if (decision.kind !== 'retry') return decision;
      trace?.record(entry(subject, 'delivery-failed', { destination: destinationId, ...failureOf(outcome), retryInMs: decision.afterMs }));
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

function entry(subject: Subject, stage: TraceEntry['stage'], detail: Record<string, unknown>): TraceEntry {
  return { at: Date.now(), stage, role: 'dispatch', requestId: subject.event.requestId, profileId: subject.profile.id, eventIds: [subject.event.id], detail };
}

function statusOf(outcome: AttemptOutcome): number {
  return outcome.kind === 'answer' ? outcome.status : 0;
}

function failureOf(outcome: AttemptOutcome): { status: number } | { error: string } {
  if (outcome.kind === 'answer') return { status: outcome.status };
  return { error: outcome.kind === 'network' ? outcome.message : `timed out after ${outcome.afterMs} ms` };
}
