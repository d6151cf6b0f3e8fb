import { retryAfterMs } from './retry-policy.js';
import type { SendResult } from './types.js';

/** A fetch Response as a SendResult: the parsed body on 2xx, the status and Retry-After otherwise. */
export async function resultOf(response: Response): Promise<SendResult> {
  const status = response.status;
  return response.ok
    ? { kind: 'ok', status, body: await response.json().catch(() => undefined) }
    : { kind: 'http', status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
}
