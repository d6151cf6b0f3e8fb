import { Tracker, type Processed, type TrackOptions } from '../core/tracker.js';
import type { EventStore, JsonObject } from '../core/types.js';
import { memoryStore } from '../plugins/memory-store.js';
import { doc, on } from './env.js';
import { browserIdentity } from './identity.js';
import { pageContext } from './page-context.js';
import { browserTransport } from './transport.js';

export interface BrowserTrackerOptions {
  /** Base URL of the Inflow edge, e.g. "https://collect.example.com". */
  endpoint: string;
  sourceId: string;
  /** Where queued events wait; memory by default, `localStorageStore` to survive reloads. */
  store?: EventStore;
  /** Nothing leaves the browser before consent(true). */
  consentRequired?: boolean;
  cookieDomain?: string;
  sessionTimeoutMinutes?: number;
  maxBatchEvents?: number;
  flushMs?: number;
  debug?: boolean;
}

export interface BrowserTracker {
  track(type: string, properties?: JsonObject, options?: TrackOptions): Promise<Processed | undefined>;
  page(properties?: JsonObject): Promise<Processed | undefined>;
  identify(profileIdOrTraits: string | JsonObject, traits?: JsonObject): Promise<Processed | undefined>;
  flush(): Promise<void>;
  reset(): void;
  consent(granted: boolean): void;
  debug(on: boolean): void;
}

/**
 * The browser tracker: the core plus browser identity, page context, keepalive/beacon
 * delivery, and a flush when the page is hidden or left. It listens to pagehide and
 * visibilitychange, never to unload/beforeunload, so pages stay eligible for the back-forward cache.
 */
export function createTracker(options: BrowserTrackerOptions): BrowserTracker {
  let debugging = options.debug === true;
  const core = new Tracker({
    endpoint: options.endpoint,
    sourceId: options.sourceId,
    transport: browserTransport(),
    store: options.store ?? memoryStore(),
    identity: browserIdentity(options),
    context: pageContext,
    consentRequired: options.consentRequired,
    maxBatchEvents: options.maxBatchEvents,
    flushMs: options.flushMs,
    // eslint-disable-next-line no-console -- debug mode is the place the SDK reports bad arguments
    log: (message, detail) => debugging && console.warn(message, detail ?? ''),
  });
  const leaving = (): void => void core.flush(true);
  on('window', 'pagehide', leaving);
  on('document', 'visibilitychange', () => doc()?.visibilityState === 'hidden' && leaving());

  const guard = <A extends unknown[], R>(fn: (...args: A) => R, fallback: R) => (...args: A): R => {
    try {
      return fn(...args);
    } catch (error) {
      if (debugging) console.warn('[inflow]', error); // eslint-disable-line no-console
      return fallback;
    }
  };
  const none = Promise.resolve(undefined);
  return {
    track: guard((type: string, properties?: JsonObject, opts?: TrackOptions) => core.track(type, properties, opts), none),
    page: guard((properties?: JsonObject) => core.track('page-view', { title: doc()?.title, ...properties }), none),
    identify: guard(
      (idOrTraits: string | JsonObject, traits?: JsonObject) =>
        typeof idOrTraits === 'string' ? core.identify(idOrTraits, traits) : core.track('identify', { traits: idOrTraits }),
      none,
    ),
    flush: guard(() => core.flush(), Promise.resolve()),
    reset: guard(() => core.reset(), undefined),
    consent: guard((granted: boolean) => core.consent(granted), undefined),
    debug: (value: boolean) => {
      debugging = value;
    },
  };
}
