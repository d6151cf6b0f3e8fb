import { QueueUnavailableError } from '@inflow/core';

interface Awaited {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** Which connection the message left on (a drop fails only that one's). */
  via: number;
}

/**
 * Messages sent and waiting for the broker's receipt, by the key the broker echoes (a sequence
 * id, a context): each resolves on its receipt, or rejects with QueueUnavailableError on a refusal,
 * a timeout or the loss of its connection, so the edge answers 503 and nothing counts as accepted.
 */
export class Receipts<K> {
  private readonly waiting = new Map<K, Awaited>();

  /** Sends with `send` (false: not connected) and waits up to `timeoutMs` for the receipt of `key`. */
  expect(key: K, send: () => boolean, timeoutMs: number, via = 0): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!send()) return reject(new QueueUnavailableError('pulsar is not connected', 2));
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new QueueUnavailableError(`pulsar did not confirm within ${timeoutMs} ms`, 2));
      }, timeoutMs);
      this.waiting.set(key, { resolve, reject, timer, via });
    });
  }

  /** The broker's answer for `key`: stored, or refused with `refusal`. */
  settle(key: K, refusal?: string): void {
    const awaited = this.waiting.get(key);
    if (!awaited) return;
    this.waiting.delete(key);
    clearTimeout(awaited.timer);
    if (refusal === undefined) awaited.resolve();
    else awaited.reject(new QueueUnavailableError(`pulsar refused the message: ${refusal}`, 2));
  }

  /** The connection `via` (or every one) is gone: what it carried will never be confirmed. */
  fail(reason: string, via?: number): void {
    for (const [key, awaited] of this.waiting) {
      if (via !== undefined && awaited.via !== via) continue;
      this.waiting.delete(key);
      clearTimeout(awaited.timer);
      awaited.reject(new QueueUnavailableError(`pulsar connection lost before it confirmed (${reason})`, 2));
    }
  }
}
