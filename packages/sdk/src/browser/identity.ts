import { isName } from '../core/event-check.js';
import { uuid } from '../core/ids.js';
import type { Identity } from '../core/tracker.js';
import { doc, storage, writeStorage } from './env.js';

export interface IdentityOptions {
  /** Share ids across subdomains, e.g. ".example.com". */
  cookieDomain?: string;
  /** Minutes of inactivity after which the next event starts a new session. */
  sessionTimeoutMinutes?: number;
  /** Keep ids in memory only: no cookie, no localStorage, ever. */
  cookieless?: boolean;
}

const PROFILE = 'inflow_pid';
const SESSION = 'inflow_sid';
const YEAR = 365 * 24 * 3600;

/**
 * Profile and session ids, held in memory and, once allowed (consent, not cookieless), in
 * first-party storage: a cookie and localStorage for each, so either alone is enough. Ids
 * already stored are read even before that (reading stores nothing); one the edge would refuse
 * is ignored. A session ends after a stretch of inactivity.
 */
export function browserIdentity(options: IdentityOptions = {}): Identity {
  const { cookieless, cookieDomain: domain } = options;
  const timeoutMs = (options.sessionTimeoutMinutes ?? 30) * 60_000;
  const memory: Record<string, string> = {};
  let persisting = false;
  // Storage (the first-party cookie, else localStorage; nothing when cookieless) first while
  // persisting, so tabs share one session; memory first otherwise.
  const read = (key: string): string | null | undefined => {
    let stored: string | null | undefined;
    if (!cookieless) {
      const match = doc()?.cookie.match(RegExp(`(?:^|; )${key}=([^;]*)`));
      stored = match ? decodeURIComponent(match[1] as string) : storage()?.getItem(key);
    }
    return persisting ? (stored ?? memory[key]) : (memory[key] ?? stored);
  };
  /** An empty value forgets the key, which is always allowed. */
  const write = (key: string, value: string, maxAge = YEAR): void => {
    memory[key] = value;
    if (!persisting && value) return;
    // A first-party cookie (Max-Age=0 deletes it), Secure on https.
    const d = doc();
    if (d) d.cookie = `${key}=${encodeURIComponent(value)}; Max-Age=${value ? maxAge : 0}; Path=/; SameSite=Lax${domain ? '; Domain=' + domain : ''}${d.location?.protocol === 'https:' ? '; Secure' : ''}`;
    try {
      writeStorage(key, value);
    } catch {
      /* storage full or blocked: the cookie still holds it */
    }
  };
  const profileId = (): string => {
    const id = read(PROFILE);
    const valid = isName(id) ? id : uuid();
    write(PROFILE, valid);
    return valid;
  };
  const sessionId = (): string => {
    // Stored as "id.lastActivity" so the timeout survives reloads and works across tabs.
    const [id, last] = (read(SESSION) ?? '').split('.');
    // No time (NaN) or too long ago: a new session.
    const fresh = isName(id) && Date.now() - +(last as string) < timeoutMs ? id : uuid();
    write(SESSION, `${fresh}.${Date.now()}`, timeoutMs / 1000);
    return fresh;
  };
  return {
    profileId,
    sessionId,
    setProfileId: (id) => write(PROFILE, id),
    reset() {
      write(PROFILE, '');
      write(SESSION, '');
    },
    persist(allowed) {
      persisting = allowed && !cookieless;
      // Ids made while waiting for consent are kept from now on.
      if (persisting && memory[PROFILE]) {
        profileId();
        sessionId();
      }
    },
  };
}
