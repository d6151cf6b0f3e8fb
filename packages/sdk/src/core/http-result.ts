import { retryAfterMs } from './retry-policy.js';
import type { SendResult } from './types.js';

/** A fetch Response as a SendResult: the parsed body on 2xx, the status and Retry-After otherwise. */
export async function resultOf(response: Response): Promise<SendResult> {
  if (response.ok) return { kind: 'ok', status: response.status, body: await response.json().catch(() => undefined) };
  const after = retryAfterMs(response.headers.get('retry-after'));
  return after === undefined ? { kind: 'http', status: response.status } : { kind: 'http', status: response.status, retryAfterMs: after };
}
