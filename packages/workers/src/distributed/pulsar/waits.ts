import { errorMessage, QueueUnavailableError, sleep, withTimeout as withDeadline } from '@inflow/core';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/** Capped doubling pauses between attempts to reach the broker: 100 ms, 200 ms, … 5 s. */
export class Backoff {
  private current = MIN_BACKOFF_MS;

  /** The pause before the next attempt (each one twice the last, up to the cap). */
  next(): number {
    const pause = this.current;
    this.current = Math.min(MAX_BACKOFF_MS, this.current * 2);
    return pause;
  }

  reset(): void {
    this.current = MIN_BACKOFF_MS;
  }
}

/**
 * Runs `attempt` until it succeeds or `stopped()` says to give up (then resolves undefined),
 * pausing with a Backoff between failures; `failed` hears each failure (to log it).
 */
export async function keepTrying<T>(attempt: () => Promise<T>, stopped: () => boolean, failed: (reason: string, retryInMs: number) => void): Promise<T | undefined> {
  const backoff = new Backoff();
  while (!stopped()) {
    try {
      return await attempt();
    } catch (error) {
      const pause = backoff.next();
      failed(errorMessage(error), pause);
      await sleep(pause);
    }
  }
  return undefined;
}

/** `promise`, or a QueueUnavailableError with `message` (the caller answers 503) when it has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string, retryAfterSeconds = 2): Promise<T> {
  return withDeadline(promise, ms, () => new QueueUnavailableError(message, retryAfterSeconds));
}

/** Whether a connection is open now, and a promise for the next time it opens. */
export class OpenLatch {
  private opened: Promise<void>;
  private markOpen: () => void = () => undefined;

  constructor() {
    this.opened = this.next();
  }

  /** Resolves everyone waiting; later waiters wait for the next open. */
  open(): void {
    this.markOpen();
    this.opened = this.next();
  }

  /** Resolves now if `isOpen`, else at the next open(). */
  whenOpen(isOpen: boolean): Promise<void> {
    return isOpen ? Promise.resolve() : this.opened;
  }

  private next(): Promise<void> {
    return new Promise((resolve) => {
      this.markOpen = resolve;
    });
  }
}
