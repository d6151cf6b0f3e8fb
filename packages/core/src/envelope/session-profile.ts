import { createHash } from 'node:crypto';

/**
 * The profile id a new session gets when its first request names no profile: derived from the
 * session id alone, so a redelivered request, or another request of the same session racing it
 * on another edge or collector, ends on the same profile. Shaped like a UUID (from SHA-256).
 */
export function profileIdForSession(sessionId: string): string {
  const hex = createHash('sha256').update('inflow:profile-of-session:').update(sessionId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
