import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserIdentity } from './identity.js';

/** Just enough of a browser for the identity rules: cookies and localStorage. */
function fakeBrowser() {
  const jar = new Map<string, string>();
  const store = new Map<string, string>();
  const g = globalThis as Record<string, unknown>;
  g['document'] = {
    location: { protocol: 'https:' },
    get cookie() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(text: string) {
      const [pair = '', ...attributes] = text.split('; ');
      const [name = '', value = ''] = pair.split('=');
      if (attributes.includes('Max-Age=0')) jar.delete(name);
      else jar.set(name, value);
    },
  };
  g['window'] = {
    localStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
      removeItem: (k: string) => store.delete(k),
    },
  };
  return { jar, store };
}

describe('browserIdentity', () => {
  let browser: ReturnType<typeof fakeBrowser>;
  beforeEach(() => {
    browser = fakeBrowser();
  });
  afterEach(() => {
    delete (globalThis as Record<string, unknown>)['document'];
    delete (globalThis as Record<string, unknown>)['window'];
  });

  it('keeps one profile id in a cookie and localStorage; either alone is enough', () => {
    const id = browserIdentity().profileId();
    expect(browserIdentity().profileId()).toBe(id);
    expect(browser.store.get('inflow_pid')).toBe(id);
    browser.jar.clear();
    expect(browserIdentity().profileId()).toBe(id);
    browser.store.clear();
    browser.jar.set('inflow_pid', 'from-cookie');
    expect(browserIdentity().profileId()).toBe('from-cookie');
  });

  it('continues a session while active and starts a new one after the timeout', () => {
    let now = 1_000_000;
    const identity = browserIdentity({ sessionTimeoutMinutes: 30, now: () => now });
    const first = identity.sessionId();
    now += 29 * 60_000;
    expect(identity.sessionId()).toBe(first);
    now += 29 * 60_000; // active 29 minutes ago: still the same session
    expect(identity.sessionId()).toBe(first);
    now += 31 * 60_000;
    expect(identity.sessionId()).not.toBe(first);
  });

  it('takes a profile id the server merged into, and forgets both ids on reset', () => {
    const identity = browserIdentity();
    identity.profileId();
    identity.setProfileId('merged-profile');
    expect(identity.profileId()).toBe('merged-profile');
    identity.reset();
    expect(browser.jar.has('inflow_pid')).toBe(false);
    expect(browser.store.has('inflow_sid')).toBe(false);
    expect(identity.profileId()).not.toBe('merged-profile');
  });

  it('writes first-party cookies with the configured domain', () => {
    let written = '';
    const doc = (globalThis as { document: { cookie: string } }).document;
    Object.defineProperty(doc, 'cookie', { get: () => '', set: (text: string) => (written = text), configurable: true });
    browserIdentity({ cookieDomain: '.shop.example' }).profileId();
    expect(written).toMatch(/^inflow_pid=[0-9a-f-]{36}; Max-Age=31536000; Path=\/; SameSite=Lax; Domain=\.shop\.example; Secure$/);
  });
});
