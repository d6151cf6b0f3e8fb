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
