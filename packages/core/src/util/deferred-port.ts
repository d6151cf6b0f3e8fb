/**
 * A port whose adapter is made on first use: each of its methods waits for `adapter()` and
 * calls the adapter's own. `members` names every method of the port (the compiler checks that
 * none is missing), so the port is a plain object: nothing else on it (no `then`, nothing that
 * a log or an `await` could trip over). Every member of T must be a method returning a promise.
 */
export function deferredPort<T extends AsyncPort<T>>(members: { readonly [K in keyof T]-?: true }, adapter: () => Promise<T>): T {
  const port: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(members)) {
    port[name] = async (...args) => {
      const target = (await adapter()) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const method = target[name];
      if (typeof method !== 'function') throw new TypeError(`the adapter has no method ${name}`);
      return method.apply(target, args);
    };
  }
  return port as unknown as T;
}

/** A type whose members are all methods that return promises (what deferredPort can stand in for). */
export type AsyncPort<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * `make` run once, when first asked for, and its result kept. A failed attempt is kept for
 * `retryAfterMs` (callers meanwhile get its error at once, so that a service that is away is not
 * dialled again for every request), then forgotten: the next call tries again.
 */
export function madeOnFirstUse<T>(make: () => Promise<T>, retryAfterMs = 1_000, now: () => number = () => performance.now()): { get(): Promise<T>; made(): Promise<T> | undefined } {
  let made: Promise<T> | undefined;
  let failedAt = 0;
  return {
    get() {
      if (made && failedAt > 0 && now() - failedAt >= retryAfterMs) made = undefined;
      if (!made) {
        failedAt = 0;
        // A make that throws at once fails like one that rejects.
        const attempt: Promise<T> = (async () => make())().catch((error: unknown) => {
          if (made === attempt) failedAt = now();
          throw error;
        });
        made = attempt;
      }
      return made;
    },
    made: () => made,
  };
}
