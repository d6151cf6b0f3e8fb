import { errorMessage, isInfrastructureError, type Logger, sleep, sleepUnless } from '@inflow/core';

export interface ServiceWaitOptions {
  /** Longest wait, in ms, before giving up with the last error; 0 waits as long as it takes. */
  timeoutMs: number;
  logger: Logger;
  /** Aborted when the process shuts down while still waiting. */
  signal?: AbortSignal | undefined;
  /** First pause between attempts; it doubles up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Thrown when the wait ends without a connection: its time ran out, or the process is closing. */
export class ServicesUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServicesUnavailableError';
  }
}

/**
 * Runs `connect` until it succeeds, while its failure is an outage of a service (refused, timed
 * out, answering 5xx: InfrastructureError or QueueUnavailableError), pausing 0.5 s, 1 s, 2 s …
 * up to 5 s between attempts and saying so at each one. A role started while Elasticsearch,
 * Pulsar or Redis is down (a restart, a cluster coming up beside it) starts once they are back,
 * instead of exiting into a crash loop. Anything else fails at once: a refused token, an
 * untrusted certificate, a bad setting do not fix themselves.
 */
export async function connectWhenAvailable<T>(what: string, connect: () => Promise<T>, options: ServiceWaitOptions): Promise<T> {
  const { timeoutMs, logger, signal } = options;
  const firstDelayMs = options.firstDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new ServicesUnavailableError(`stopped waiting for ${what}: the process is shutting down`);
    try {
      const connected = await connect();
      if (attempt > 1) logger.info(`${what}: connected after ${attempt} attempts, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return connected;
    } catch (error) {
      if (!isOutage(error)) throw error;
      const waited = Date.now() - started;
      if (timeoutMs > 0 && waited >= timeoutMs) {
        throw new ServicesUnavailableError(`${what}: still unavailable after ${Math.round(waited / 1000)} s (INFLOW_START_TIMEOUT_MS ${timeoutMs}): ${errorMessage(error)}`, { cause: error });
      }
      const delay = Math.min(firstDelayMs * 2 ** (attempt - 1), maxDelayMs, timeoutMs > 0 ? Math.max(timeoutMs - waited, 1) : Infinity);
      logger.warn(`${what}: ${errorMessage(error)}; attempt ${attempt}, trying again in ${delay} ms`);
      await (signal ? sleepUnless(delay, signal) : sleep(delay));
    }
  }
}

/** A service that cannot be reached or answers it cannot work now; not one that refuses us for good. */
export function isOutage(error: unknown): boolean {
  return isInfrastructureError(error) && !certificateProblem(error);
}

/** TLS verification failures (untrusted CA, wrong host name, expired certificate) anywhere in the error's causes. */
function certificateProblem(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return true;
    if (/certificate/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
