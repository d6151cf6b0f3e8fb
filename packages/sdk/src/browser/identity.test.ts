import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { browserIdentity, type IdentityOptions } from './identity.js';

/** An identity allowed to store its ids, as the tracker makes it once consent is not (or no longer) needed. */
function persisting(options: IdentityOptions = {}) {
  const identity = browserIdentity(options);
  identity.persist?.(true);
  return identity;
}

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
    const id = persisting().profileId();
    expect(persisting().profileId()).toBe(id);
    expect(browser.store.get('inflow_pid')).toBe(id);
    browser.jar.clear();
    expect(persisting().profileId()).toBe(id);
    browser.store.clear();
    browser.jar.set('inflow_pid', 'from-cookie');
    expect(persisting().profileId()).toBe('from-cookie');
  });

  it('continues a session while active and starts a new one after the timeout', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const later = (ms: number) => vi.setSystemTime(Date.now() + ms);
    try {
      vi.setSystemTime(1_000_000);
      const identity = persisting({ sessionTimeoutMinutes: 30 });
      const first = identity.sessionId();
      later(29 * 60_000);
      expect(identity.sessionId()).toBe(first);
      later(29 * 60_000); // active 29 minutes ago: still the same session
      expect(identity.sessionId()).toBe(first);
      later(31 * 60_000);
      expect(identity.sessionId()).not.toBe(first);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes a profile id the server merged into, and forgets both ids on reset', () => {
    const identity = persisting();
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
    persisting({ cookieDomain: '.shop.example' }).profileId();
    expect(written).toMatch(/^inflow_pid=[0-9a-f-]{36}; Max-Age=31536000; Path=\/; SameSite=Lax; Domain=\.shop\.example; Secure$/);
  });

  it('stores nothing until allowed, then keeps the ids it made while waiting', () => {
    const identity = browserIdentity();
    const profile = identity.profileId();
    const session = identity.sessionId();
    expect(browser.jar.size + browser.store.size).toBe(0);
    identity.persist?.(true);
    expect(browser.jar.get('inflow_pid')).toBe(profile);
    expect(browser.store.get('inflow_sid')?.split('.')[0]).toBe(session);
  });

  it('in cookieless mode never stores the ids, nor reads stored ones', () => {
    browser.jar.set('inflow_pid', 'stored-before');
    const identity = browserIdentity({ cookieless: true });
    identity.persist?.(true);
    const id = identity.profileId();
    expect(id).not.toBe('stored-before');
    expect(identity.profileId()).toBe(id);
    identity.sessionId();
    expect([...browser.jar.keys()]).toEqual(['inflow_pid']);
    expect(browser.store.size).toBe(0);
  });

  it('ignores a stored id the edge would refuse (too long) and replaces it', () => {
    browser.jar.set('inflow_pid', 'x'.repeat(200));
    const id = persisting().profileId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(browser.jar.get('inflow_pid')).toBe(id);
  });
});
