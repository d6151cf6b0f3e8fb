import { consumeLoop, decodeQueuedRequests, type Envelope, isInfrastructureError, type Lifecycle, MessagesInHand, type QueueMessage, type StageMeter, type TraceEntry, type TraceSink, type WorkerOptions } from '@inflow/core';
import { RECENT_EVENTS_KEPT } from './collect.js';
import type { Collector } from './collector.js';

export interface CollectorWorkerOptions extends WorkerOptions {
  collector: Collector;
  /** The collector stage's counters (events; an unreadable request counts as one). */
  meter?: StageMeter | undefined;
  /** Where dead-lettered requests are recorded (stored ones are, by the Collector). */
  trace?: TraceSink | undefined;
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
  const { queue, collector, logger, meter, trace } = options;
  const consumer = queue.consumer(options.input, options.consumer);

  // Messages already stored and acknowledged, so a batch handled again after an outage skips them.
  const acked = new WeakSet<QueueMessage>();
  const inHand = new MessagesInHand(meter);

  async function handle(messages: QueueMessage[]): Promise<void> {
    const decoded = messages.filter((message) => !acked.has(message)).map(decodeMessage);
    for (const item of decoded) inHand.take(item.message, item.envelopes.reduce((sum, envelope) => sum + envelope.payload.events.length, 0) + item.unreadable.length);
    try {
      for (const group of boundedGroups(decoded, MAX_EVENTS_PER_PROFILE_PER_WRITE)) await handleGroup(group);
    } catch (error) {
      // Not an outage: the loop gives the batch back (nack); what of it is not settled comes again.
      if (!isInfrastructureError(error)) inHand.giveBack(messages);
      throw error;
    }
  }

  async function handleGroup(group: DecodedMessage[]): Promise<void> {
    const started = performance.now();
    const envelopes = group.flatMap((item) => item.envelopes);
    const owner = group.flatMap((item) => item.envelopes.map(() => item.message));
    // Dead letters only once the rest is stored: a batch retried after an outage is not dead-lettered twice.
    const outcomes = await collector.processAll(envelopes);
    let deadLettered = 0;
    // Requests of the group that could not be read at all (the readable ones are the envelopes).
    let unreadable = 0;
    for (const { message, unreadable: parts } of group) {
      for (const { data, reason } of parts) {
        deadLettered += 1;
        unreadable += 1;
        logger.warn(`dead-lettering a request of message ${message.id}: ${reason}`);
        await consumer.deadLetterPart(message, data, reason);
      }
    }
    let stored = 0;
    let events = 0;
    const rejected: Array<{ envelope: Envelope; reason: string }> = [];
    for (const [i, outcome] of outcomes.entries()) {
      const envelope = envelopes[i] as Envelope;
      if (outcome.kind === 'stored') {
        stored += 1;
        events += outcome.accepted.events.length;
        continue;
      }
      deadLettered += 1;
      logger.warn(`dead-lettering request ${envelope.id}: ${outcome.reason}`);
      await consumer.deadLetterPart(owner[i] as QueueMessage, Buffer.from(JSON.stringify(envelope)), outcome.reason);
      rejected.push({ envelope, reason: outcome.reason });
    }
    const messages = group.map((item) => item.message);
    await consumer.ack(messages);
    for (const message of messages) {
      acked.add(message);
      inHand.release(message);
    }
    if (meter) settle(meter, group, envelopes, outcomes);
    for (const { envelope, reason } of rejected) trace?.record(deadLetteredEntry(envelope, reason));
    logger.info(
      `Collector: messages ${messages.length}, requests ${envelopes.length + unreadable}, stored ${stored}, events ${events}, dead-lettered ${deadLettered}, ${Math.round(performance.now() - started)} ms`,
    );
  }

  const loop = consumeLoop({
    consumer,
    handle,
    batchSize: options.batchSize,
    batchBytes: options.batchBytes,
    waitMs: options.waitMs,
    logger,
    isTransient: isInfrastructureError,
  });
  return {
    start: () => loop.start(),
    async close() {
      await loop.close();
      // A batch waiting out an outage when closing stays unacknowledged: it is delivered again.
      inHand.giveBack();
    },
  };
}

/** The stage's outcomes of a group acknowledged: each request's events stored or deduplicated, or dead-lettered. */
function settle(meter: StageMeter, group: DecodedMessage[], envelopes: Envelope[], outcomes: Awaited<ReturnType<Collector['processAll']>>): void {
  let unreadable = 0;
  for (const item of group) unreadable += item.unreadable.length;
  let stored = 0;
  let deduplicated = 0;
  let deadLettered = unreadable;
  outcomes.forEach((outcome, i) => {
    const events = (envelopes[i] as Envelope).payload.events.length;
    if (outcome.kind === 'stored') {
      stored += events - outcome.duplicates;
      deduplicated += outcome.duplicates;
    } else {
      deadLettered += events;
    }
  });
  meter.settled('stored', stored);
  meter.settled('deduplicated', deduplicated);
  meter.settled('dead_lettered', deadLettered);
}

function deadLetteredEntry(envelope: Envelope, reason: string): TraceEntry {
  return {
    at: Date.now(),
    stage: 'dead-lettered',
    role: 'collector',
    requestId: envelope.id,
    profileId: envelope.payload.profile.id,
    eventIds: envelope.payload.events.map((event) => event.id),
    detail: { reason, stage: 'collector' },
  };
}

/**
 * Most events of one profile written (and acknowledged) together: half of what a profile
 * remembers, so that whatever is delivered again after a crash (at most this write and one
 * whose acknowledgement was lost) is still recognised and never counted twice.
 */
const MAX_EVENTS_PER_PROFILE_PER_WRITE = RECENT_EVENTS_KEPT / 2;

interface DecodedMessage {
  message: QueueMessage;
  envelopes: Envelope[];
  unreadable: Array<{ data: Uint8Array; reason: string }>;
}

function decodeMessage(message: QueueMessage): DecodedMessage {
  const decoded: DecodedMessage = { message, envelopes: [], unreadable: [] };
  for (const request of decodeQueuedRequests(message.data)) {
    if (request.ok) decoded.envelopes.push(request.envelope);
    else decoded.unreadable.push({ data: request.data, reason: request.reason });
  }
  return decoded;
}

/**
 * Consecutive messages, split where a profile or a session would get more than `limit` events
 * (a message is never split). A request whose session decides its profile counts under the
 * profile the edge derived from the session (what a new session gets); one whose stored session
 * names another profile is not counted under that one (known only once the session is read).
 */
export function boundedGroups(messages: DecodedMessage[], limit: number): DecodedMessage[][] {
  const groups: DecodedMessage[][] = [];
  let group: DecodedMessage[] = [];
  let tally = new EventTally();
  for (const item of messages) {
    const added = new EventTally();
    for (const envelope of item.envelopes) added.add(envelope);
    if (group.length > 0 && tally.overflows(added, limit)) {
      groups.push(group);
      group = [];
      tally = new EventTally();
    }
    group.push(item);
    tally.merge(added);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Events per profile and per session of some requests. */
class EventTally {
  readonly profiles = new Map<string, number>();
  readonly sessions = new Map<string, number>();

  add(envelope: Envelope): void {
    const events = envelope.payload.events.length;
    bump(this.profiles, envelope.payload.profile.id, events);
    bump(this.sessions, envelope.payload.session.id, events);
  }

  merge(other: EventTally): void {
    for (const [id, events] of other.profiles) bump(this.profiles, id, events);
    for (const [id, events] of other.sessions) bump(this.sessions, id, events);
  }

  /** Whether this and `added` together give a profile or a session more than `limit` events. */
  overflows(added: EventTally, limit: number): boolean {
    for (const [id, events] of added.profiles) if ((this.profiles.get(id) ?? 0) + events > limit) return true;
    for (const [id, events] of added.sessions) if ((this.sessions.get(id) ?? 0) + events > limit) return true;
    return false;
  }
}

function bump(counts: Map<string, number>, id: string, events: number): void {
  counts.set(id, (counts.get(id) ?? 0) + events);
}
