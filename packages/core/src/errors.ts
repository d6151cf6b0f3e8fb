/** The queue cannot take messages now (full, down, or too slow). Retryable by the client. */
export class QueueUnavailableError extends Error {
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}

/**
 * A request the queue never took because its client went away first (timed out, closed its
 * connection): nothing was stored, and nobody reads the answer. Not an outage of the queue.
 */
export class ClientGoneError extends QueueUnavailableError {
  constructor(message = 'the client went away before the queue took the request') {
    super(message, 1);
    this.name = 'ClientGoneError';
  }
}

/** HTTP status logged and counted for a request whose client went away (nginx's "client closed request"); never sent. */
export const CLIENT_GONE_STATUS = 499;

export const isQueueUnavailable = (error: unknown): error is QueueUnavailableError =>
  error instanceof QueueUnavailableError;

/** A queued message that can never be processed: it goes to the dead-letter place with this reason. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

export const isPoisonMessage = (error: unknown): error is PoisonMessageError => error instanceof PoisonMessageError;

/** The configuration is wrong; `key` names the setting. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`config ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The profile or session moved on while a request was processed: process it again on fresh state. */
export class StateConflictError extends Error {
  constructor(what: string) {
    super(`${what} changed while it was being processed`);
    this.name = 'StateConflictError';
  }
}

export const isStateConflict = (error: unknown): error is StateConflictError => error instanceof StateConflictError;

/**
 * A service the pipeline depends on (store, cache, broker) cannot be reached or is overloaded.
 * Nothing is wrong with the data: the work is retried with backoff and never counts toward
 * the dead-letter limit.
 */
export class InfrastructureError extends Error {
  readonly retryable = true;
  constructor(
    readonly service: 'store' | 'cache' | 'queue',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} unavailable: ${message}`, options);
    this.name = 'InfrastructureError';
  }
}

export const isInfrastructureError = (error: unknown): error is InfrastructureError =>
  error instanceof InfrastructureError || error instanceof QueueUnavailableError;
