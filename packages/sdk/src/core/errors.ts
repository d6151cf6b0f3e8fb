/** Why track(), identify(), group() or alias() refused an event: it would be refused by the edge, or cannot be sent at all. */
export type InvalidEventCode = 'invalid_event' | 'invalid_id' | 'unserializable' | 'event_too_large' | 'too_deep' | 'too_many_entries' | 'invalid_key';

/** An event refused at track() time: never queued, never stored, never sent. `path` names the bad field. */
export class InvalidEventError extends Error {
  constructor(
    readonly code: InvalidEventCode,
    readonly path: string,
    detail = '',
  ) {
    super(`[inflow] ${code} at ${path}${detail}`);
  }
}

export function isInvalidEventError(error: unknown): error is InvalidEventError {
  return error instanceof InvalidEventError;
}
