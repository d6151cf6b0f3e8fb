import { QueueUnavailableError } from '@inflow/core';

interface Awaited {
  key: number;
  resolve(): void;
  reject(error: Error): void;
  /** performance.now() after which it is refused as unconfirmed. */
  deadline: number;
  timeoutMs: number;
  /** Which connection the message left on (a drop fails only that one's). */
  via: number;
}

/** The longest delay setTimeout takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Messages sent and waiting for the broker's receipt, by the key the broker echoes (a sequence
 * id, a context number), which grows with each send: each resolves on its receipt, or rejects
 * with QueueUnavailableError on a refusal, a timeout or the loss of its connection, so the edge
 * answers 503 and nothing counts as accepted.
 *
 * Kept in the order sent (so in key order): a receipt is found by a binary search of the keys
 * (nearly always the oldest: a connection's receipts come back in the order sent; a late receipt
 * of one already timed out, or a socket's among several, costs a search, not a scan), and one
 * timer watches the earliest deadline. A hash map and a timer per message (as before) gave each
 * send objects that lived as long as the broker took, long enough to be copied out of V8's young
 * generation: on the edge on Pulsar they were 70 % of what reached the old generation, which then
 * needed a major collection every few seconds (docs/performance-history.md, twenty-sixth session).
 */
export class Receipts {
  /** In the order sent; a settled one leaves a hole (undefined) until the ones before it go. */
  private readonly waiting: (Awaited | undefined)[] = [];
  /** The key sent at each place of `waiting`, kept when it is settled: increasing, for the search. */
  private readonly keys: number[] = [];
  private lastKey = -Infinity;
  private head = 0;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now()); Infinity when none is set. */
  private timerAt = Infinity;

  /** How many wait for their receipt. */
  get size(): number {
    return this.count;
  }

  /**
   * Sends with `send` (false: not connected) and waits up to `timeoutMs` for the receipt of `key`,
   * which must be greater than every key expected before.
   */
  expect(key: number, send: () => boolean, timeoutMs: number, via = 0): Promise<void> {
    if (!(key > this.lastKey)) return Promise.reject(new Error(`receipt keys must grow: ${key} after ${this.lastKey}`));
    this.lastKey = key;
    return new Promise<void>((resolve, reject) => {
      if (!send()) return reject(new QueueUnavailableError('pulsar is not connected', 2));
      const deadline = performance.now() + timeoutMs;
      this.waiting.push({ key, resolve, reject, deadline, timeoutMs, via });
      this.keys.push(key);
      this.count++;
      if (deadline < this.timerAt) this.watch(deadline);
    });
  }

  /** The broker's answer for `key`: stored, or refused with `refusal`. */
  settle(key: number, refusal?: string): void {
    const awaited = this.take(key);
    if (!awaited) return;
    if (refusal === undefined) awaited.resolve();
    else awaited.reject(new QueueUnavailableError(`pulsar refused the message: ${refusal}`, 2));
  }

  /** The connection `via` (or every one) is gone: what it carried will never be confirmed. */
  fail(reason: string, via?: number): void {
    this.drop((awaited) => via === undefined || awaited.via === via, () => new QueueUnavailableError(`pulsar connection lost before it confirmed (${reason})`, 2));
  }

  /** Removes and returns the one waiting for `key` (binary search of the keys, from the oldest). */
  private take(key: number): Awaited | undefined {
    if (Number.isNaN(key)) return undefined;
    const { keys } = this;
    let low = this.head;
    let high = keys.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = keys[middle] as number;
      if (at < key) low = middle + 1;
      else if (at > key) high = middle - 1;
      else {
        const awaited = this.waiting[middle];
        if (!awaited) return undefined;
        this.waiting[middle] = undefined;
        this.count--;
        this.trim();
        return awaited;
      }
    }
    return undefined;
  }

  /** Rejects (and removes) every one `matches` picks, oldest first. */
  private drop(matches: (awaited: Awaited) => boolean, error: (awaited: Awaited) => Error): void {
    const { waiting } = this;
    const rejected: Awaited[] = [];
    for (let i = this.head; i < waiting.length; i++) {
      const awaited = waiting[i];
      if (!awaited || !matches(awaited)) continue;
      waiting[i] = undefined;
      this.count--;
      rejected.push(awaited);
    }
    this.trim();
    for (const awaited of rejected) awaited.reject(error(awaited));
  }

  /** Moves past settled holes at the front; forgets the array's settled part once it is most of it. */
  private trim(): void {
    const { waiting } = this;
    while (this.head < waiting.length && waiting[this.head] === undefined) this.head++;
    if (this.count === 0) {
      waiting.length = 0;
      this.keys.length = 0;
      this.head = 0;
      this.unwatch();
    } else if (this.head >= 1024 && this.head * 2 >= waiting.length) {
      waiting.splice(0, this.head);
      this.keys.splice(0, this.head);
      this.head = 0;
    }
  }

  /** One timer, at the earliest deadline: then every one past its deadline is refused. */
  private watch(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - performance.now()))));
  }

  private unwatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    this.drop(
      (awaited) => awaited.deadline <= now,
      (awaited) => new QueueUnavailableError(`pulsar did not confirm within ${awaited.timeoutMs} ms`, 2),
    );
    let next = Infinity;
    for (let i = this.head; i < this.waiting.length; i++) next = Math.min(next, this.waiting[i]?.deadline ?? Infinity);
    if (next < Infinity) this.watch(next);
  }
}
