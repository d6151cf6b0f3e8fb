import { resultOf } from '../core/http-result.js';
import type { SendResult, Transport } from '../core/types.js';
import { nav } from './env.js';

/** Browsers refuse keepalive requests once those in flight add up to 64 KiB. */
export const KEEPALIVE_BUDGET = 65_536;

/**
 * fetch with `keepalive` (so a request outlives the page) while the shared keepalive budget
 * allows, plain fetch beyond it, and sendBeacon when the page is going away. A beacon's fate is
 * unknown, so it is reported as such, never as delivered. Bodies are strings, which both send as
 * `text/plain;charset=UTF-8`: a simple request, no CORS preflight.
 */
export function browserTransport(): Transport {
  let keepaliveBytes = 0;
  return {
    async send(url, body, { unloading }): Promise<SendResult> {
      const size = new Blob([body]).size;
      /** Bytes this request holds of the keepalive budget: none beyond it (a plain fetch). */
      const held = keepaliveBytes + size > KEEPALIVE_BUDGET ? 0 : size;
      keepaliveBytes += held;
      try {
        const n = nav();
        // Offline, a beacon is "accepted" and then lost: keep the events queued (and stored) instead.
        if (n?.onLine === false) throw 'offline';
        if (unloading && size <= KEEPALIVE_BUDGET && n?.sendBeacon(url, body)) return { kind: 'beacon' };
        return await resultOf(await fetch(url, { method: 'POST', body, keepalive: held > 0, credentials: 'omit' }));
      } catch (error) {
        // Offline, and what sendBeacon throws (an invalid URL): every failure is a value.
        return { kind: 'network', error: String(error) };
      } finally {
        keepaliveBytes -= held;
      }
    },
  };
}
