import { uuid } from '../core/ids.js';
import type { Identity } from '../core/tracker.js';
import { readCookie, writeCookie } from './cookies.js';
import { storage } from './env.js';

export interface IdentityOptions {
  /** Share ids across subdomains, e.g. ".example.com". */
  cookieDomain?: string;
  /** Minutes of inactivity after which the next event starts a new session. */
  sessionTimeoutMinutes?: number;
  now?: () => number;
}

const PROFILE = 'inflow_pid';
const SESSION = 'inflow_sid';
const YEAR = 365 * 24 * 3600;

/**
 * Profile and session ids in first-party storage: a cookie and localStorage for each, so
 * either alone is enough to keep them. A session ends after a stretch of inactivity.
 */
export function browserIdentity(options: IdentityOptions = {}): Identity {
  const timeoutMs = (options.sessionTimeoutMinutes ?? 30) * 60_000;
  const now = options.now ?? Date.now;
  const read = (key: string): string | undefined => readCookie(key) ?? storage()?.getItem(key) ?? undefined;
  const write = (key: string, value: string, maxAge: number): void => {
    writeCookie(key, value, maxAge, options.cookieDomain);
    try {
      storage()?.setItem(key, value);
    } catch {
      /* storage full or blocked: the cookie still holds it */
    }
  };
  return {
    profileId() {
      let id = read(PROFILE);
      if (!id) {
        id = uuid();
        write(PROFILE, id, YEAR);
      }
      return id;
    },
    sessionId() {
      // Stored as "id.lastActivity" so the timeout survives reloads and works across tabs.
      const [id, last] = (read(SESSION) ?? '').split('.');
      const fresh = id && last && now() - Number(last) < timeoutMs ? id : uuid();
      write(SESSION, `${fresh}.${now()}`, Math.ceil(timeoutMs / 1000));
      return fresh;
    },
    setProfileId(id) {
      write(PROFILE, id, YEAR);
    },
    reset() {
      for (const key of [PROFILE, SESSION]) {
        writeCookie(key, '', 0, options.cookieDomain);
        storage()?.removeItem(key);
      }
    },
  };
}
