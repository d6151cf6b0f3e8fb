import { resultOf } from '../core/http-result.js';
import type { SendResult, Transport } from '../core/types.js';

/** fetch with a per-request timeout; every failure is a value, never an exception. */
export function fetchTransport(doFetch: typeof fetch, timeoutMs: number): Transport {
  return {
    async send(url, body): Promise<SendResult> {
      try {
        const response = await doFetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
        return await resultOf(response);
      } catch (error) {
        return { kind: 'network', error: String(error) };
      }
    },
  };
}
