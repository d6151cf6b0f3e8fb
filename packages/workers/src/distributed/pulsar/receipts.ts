import { QueueUnavailableError } from '@inflow/core';

interface Awaited<K> {
  key: K;
  resolve(): void;
  reject(error: Error): void;
  /** performance.now() after which it is refused as unconfirmed. */
  deadline: number;
  timeoutMs: number;
  /** Which connection the message left on (a drop fails only that one's). */
  via: number;
}

/**
 * Messages sent and waiting for the broker's receipt, by the key the broker echoes (a sequence
 * id, a context): each resolves on its receipt, or rejects with QueueUnavailableError on a refusal,
 * a timeout or the loss of its connection, so the edge answers 503 and nothing counts as accepted.
 *
 * Kept in the order sent, which is the order a connection's receipts come back in: a receipt is
 * nearly always for the oldest message (looked for from there), and one timer watches the earliest
 * deadline. A hash map and a timer per message (as before) cost each send objects that lived as
 * long as the broker took, long enough to be copied out of V8's young generation: on the edge at
 * half load they were 70 % of what reached the old generation, whose collections paused it for
 * 5-9 ms every few seconds (docs/performance-history.md, twenty-sixth session).
 */
export class Receipts<K> {
  /** In the order sent; a settled one leaves a hole (undefined) until the ones before it go. */
  private readonly waiting: (Awaited<K> | undefined)[] = [];
  private head = 0;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now()); Infinity when none is set. */
  private timerAt = Infinity;

  /** How many wait for their receipt. */
  get size(): number {
    return this.count;
  }

  /** Sends with `send` (false: not connected) and waits up to `timeoutMs` for the receipt of `key`. */
  expect(key: K, send: () => boolean, timeoutMs: number, via = 0): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!send()) return reject(new QueueUnavailableError('pulsar is not connected', 2));
      const deadline = performance.now() + timeoutMs;
      this.waiting.push({ key, resolve, reject, deadline, timeoutMs, via });
      this.count++;
      if (deadline < this.timerAt) this.watch(deadline);
    });
  }

  /** The broker's answer for `key`: stored, or refused with `refusal`. */
  settle(key: K, refusal?: string): void {
    const awaited = this.take(key);
    if (!awaited) return;
    if (refusal === undefined) awaited.resolve();
    else awaited.reject(new QueueUnavailableError(`pulsar refused the message: ${refusal}`, 2));
  }

  /** The connection `via` (or every one) is gone: what it carried will never be confirmed. */
  fail(reason: string, via?: number): void {
    this.drop((awaited) => via === undefined || awaited.via === via, () => new QueueUnavailableError(`pulsar connection lost before it confirmed (${reason})`, 2));
  }

  /** Removes and returns the one waiting for `key`, looked for from the oldest. */
  private take(key: K): Awaited<K> | undefined {
    const { waiting } = this;
    for (let i = this.head; i < waiting.length; i++) {
      const awaited = waiting[i];
      if (awaited?.key !== key) continue;
      waiting[i] = undefined;
      this.count--;
      this.trim();
      return awaited;
    }
    return undefined;
  }

  /** Rejects (and removes) every one `matches` picks, oldest first. */
  private drop(matches: (awaited: Awaited<K>) => boolean, error: (awaited: Awaited<K>) => Error): void {
    const { waiting } = this;
    const rejected: Awaited<K>[] = [];
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
      this.head = 0;
      this.unwatch();
    } else if (this.head >= 1024 && this.head * 2 >= waiting.length) {
      waiting.splice(0, this.head);
      this.head = 0;
    }
  }

  /** One timer, at the earliest deadline: then every one past its deadline is refused. */
  private watch(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(at - performance.now())));
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
