import { randomUUID } from 'node:crypto';

/** What a caller's X-Request-Id may be to be kept: 1 to 128 of these characters. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the caller's X-Request-Id when the deployment trusts it (a proxy in
 * front that sets it) and it is well formed; a fresh UUID otherwise.
 */
export function requestIdOf(given: string | undefined, trusted: boolean): string {
  return trusted && given !== undefined && SAFE_ID.test(given) ? given : randomUUID();
}
