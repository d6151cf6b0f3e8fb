import { type DeadLetter, type DeadLetterReplay, type DeadLetterSelection, isQueueUnavailable, type QueueProducer, QueueUnavailableError, type TopicRef } from '@inflow/core';
import { peekUnacknowledged, type PeekedLetter } from './dead-letter-peek.js';
import { readReason } from './dead-letter-reason.js';
import { KeeperAcks } from './keeper-acks.js';
import type { PulsarToken } from './pulsar-auth.js';
import { deadLetterTopic, topicPath } from './topic-names.js';

/** Subscription that keeps dead letters from being deleted; what it has not acknowledged is what is kept. */
export const DEAD_LETTER_SUBSCRIPTION = 'inflow-dead-letter-keeper';

/** Letters replayed per producer call (and then acknowledged together). */
const REPLAY_CHUNK = 100;
/** Letters a replay reads per round; a replay of everything takes rounds until none is left. */
const ROUND = 1_000;
/** A replay by id looks this far into each dead-letter topic, a window at a time. */
const MAX_SCAN = 10_000;
const SCAN_WINDOW = 500;

export interface PulsarDeadLettersOptions {
  /** http://host:port of the broker's web service. */
  webServiceUrl: string;
  tenant: string;
  /** Topics whose dead-letter topics are read, in listing order. */
  sources: TopicRef[];
  /** Topics made at run time (one per destination), read after `sources`. */
  discover?: () => Promise<TopicRef[]>;
  /** The producer of a source topic, for replays. */
  producer(topic: TopicRef): QueueProducer;
  /** Pulsar's token authentication, when the cluster requires it. */
  auth?: PulsarToken | undefined;
}

/**
 * Lists and replays the letters kept on the dead-letter topics (one per source topic). A letter
 * is kept while the keeper subscription has not acknowledged it. Listing peeks at the
 * subscription (admin REST), which changes nothing; replay sends a letter back to its source
 * topic and acknowledges it only after the broker confirmed the copy. Operations of one
 * instance run one at a time, so a listing never runs between a replay's send and its ack.
 */
export class PulsarDeadLetters {
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PulsarDeadLettersOptions) {}

  /** Up to `limit` letters, topic by topic, oldest first within a topic. */
  list(limit: number): Promise<DeadLetter[]> {
    return this.serial(async () => {
      const letters: DeadLetter[] = [];
      for (const source of await this.allSources()) {
        if (letters.length >= limit) break;
        const peeked = await this.peek(source, limit - letters.length);
        letters.push(...peeked.map((letter) => toDeadLetter(letter, source)));
      }
      return letters;
    });
  }

  replay(selection: DeadLetterSelection): Promise<DeadLetterReplay> {
    return this.serial(async () => {
      const wanted = selection.ids ? new Set(selection.ids) : null;
      const progress = { replayed: 0 };
      try {
        for (const source of await this.allSources()) {
          if (wanted?.size === 0) break;
          if (wanted) await this.replayLetters(source, await this.find(source, wanted), progress);
          else await this.replayEverything(source, progress);
        }
      } catch (error) {
        if (!isQueueUnavailable(error) || progress.replayed === 0) throw error;
        throw new QueueUnavailableError(`${progress.replayed} replayed, then: ${error.message}`, error.retryAfterSeconds, { cause: error });
      }
      return { replayed: progress.replayed, notFound: wanted ? [...wanted] : [] };
    });
  }

  /** Resolves once the operation under way (if any) is over. */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * Rounds of replay until the topic keeps nothing. A letter is replayed at most once per call,
   * even when the next round peeks before its acknowledgement has landed.
   */
  private async replayEverything(source: TopicRef, progress: { replayed: number }): Promise<void> {
    const done = new Set<string>();
    for (;;) {
      const peeked = await this.peek(source, ROUND);
      const letters = peeked.filter((letter) => !done.has(letterId(letter)));
      if (letters.length === 0) return;
      await this.replayLetters(source, letters, progress);
      for (const letter of letters) done.add(letterId(letter));
      if (peeked.length < ROUND) return;
    }
  }

  private async replayLetters(source: TopicRef, letters: PeekedLetter[], progress: { replayed: number }): Promise<void> {
    if (letters.length === 0) return;
    const acks = await KeeperAcks.open(this.options.webServiceUrl, this.deadLetterPath(source), DEAD_LETTER_SUBSCRIPTION, this.options.auth);
    try {
      for (let start = 0; start < letters.length; start += REPLAY_CHUNK) {
        const chunk = letters.slice(start, start + REPLAY_CHUNK);
        // A letter's `topic` is this source topic: a consumer dead-letters to its own topic's dead-letter topic.
        await this.options.producer(source).send(chunk.map((letter) => ({ key: letter.key, data: letter.data })));
        acks.ack(chunk);
        progress.replayed += chunk.length;
      }
    } finally {
      await acks.close();
    }
  }

  /** The kept letters with the wanted ids, which are taken out of `wanted`. */
  private async find(source: TopicRef, wanted: Set<string>): Promise<PeekedLetter[]> {
    const found: PeekedLetter[] = [];
    for (let from = 1; from <= MAX_SCAN && wanted.size > 0; from += SCAN_WINDOW) {
      const window = await this.peek(source, SCAN_WINDOW, from);
      found.push(...window.filter((letter) => wanted.delete(letterId(letter))));
      if (window.length < SCAN_WINDOW) break;
    }
    return found;
  }

  private peek(source: TopicRef, max: number, from = 1): Promise<PeekedLetter[]> {
    return peekUnacknowledged(this.options.webServiceUrl, this.deadLetterPath(source), DEAD_LETTER_SUBSCRIPTION, max, from, this.options.auth);
  }

  private async allSources(): Promise<TopicRef[]> {
    if (!this.options.discover) return this.options.sources;
    let found: TopicRef[];
    try {
      found = await this.options.discover();
    } catch (error) {
      throw new QueueUnavailableError(`pulsar admin did not list the topics: ${(error as Error).message}`, 2, { cause: error });
    }
    const known = new Set(this.options.sources.map((topic) => `${topic.namespace}/${topic.name}`));
    return [...this.options.sources, ...found.filter((topic) => !known.has(`${topic.namespace}/${topic.name}`))];
  }

  private deadLetterPath(source: TopicRef): string {
    return topicPath(this.options.tenant, deadLetterTopic(source));
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.running.then(operation);
    this.running = run.catch(() => undefined);
    return run;
  }
}

/** The broker's position of the letter, `ledger-entry`: unique in the cluster, stable while kept, URL-safe. */
function letterId(letter: PeekedLetter): string {
  return `${letter.ledgerId}-${letter.entryId}`;
}

function toDeadLetter(letter: PeekedLetter, source: TopicRef): DeadLetter {
  const props = letter.properties;
  return {
    id: letterId(letter),
    topic: props['topic'] ?? `${source.namespace}/${source.name}`,
    subscription: props['subscription'] ?? '',
    key: letter.key,
    data: letter.data,
    reason: readReason(props) ?? 'redelivered too often (dead-lettered by the broker)',
    failedAt: props['failedAt'] ?? '',
    redeliveryCount: Number(props['redeliveryCount'] ?? 0),
  };
}
