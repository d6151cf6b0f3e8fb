import { createHash } from 'node:crypto';
import { parseRetryAfter, type AttemptOutcome } from './delivery-decision.js';

export interface WebhookRequest {
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  /** Secret values already filled in: never log this object. */
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  idempotencyKey: string;
}

/** The HTTP port of dispatch: one attempt, its outcome as a value. Never throws. */
export type SendWebhook = (request: WebhookRequest) => Promise<AttemptOutcome>;

/** Most of an answer's body kept for the dead-letter reason and the "test" call. */
const BODY_KEPT = 2_000;

/**
 * Stable for one event and one destination version, so a receiver that honours it sees each
 * event once. An event is its profile's id and its own: two profiles may use one event id.
 */
export function idempotencyKey(destinationId: string, destinationVersion: number, event: { id: string; profileId: string }): string {
  return createHash('sha256').update(`${destinationId}\u0000${destinationVersion}\u0000${event.profileId}\u0000${event.id}`).digest('hex').slice(0, 32);
}

/** The default adapter, on fetch. Redirects are not followed: a moved receiver is a configuration to fix. */
export const sendWebhook: SendWebhook = async (request) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: { 'content-type': 'application/json', ...request.headers, 'idempotency-key': request.idempotencyKey },
      body: JSON.stringify(request.body),
      redirect: 'manual',
      signal: controller.signal,
    });
    const body = (await response.text()).slice(0, BODY_KEPT);
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return { kind: 'answer', status: response.status, body, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  } catch (error) {
    if (controller.signal.aborted) return { kind: 'timeout', afterMs: request.timeoutMs };
    return { kind: 'network', message: networkMessage(error) };
  } finally {
    clearTimeout(timer);
  }
};

/** fetch says "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, …) is in its cause. */
function networkMessage(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return `${(cause as NodeJS.ErrnoException).code ?? cause.name}: ${cause.message}`;
  return error instanceof Error ? error.message : String(error);
}
