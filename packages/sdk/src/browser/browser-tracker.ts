import { InvalidEventError } from '../core/errors.js';
import { createCore, type Identity, type TrackOptions } from '../core/tracker.js';
import type { Consent } from '../core/consent-state.js';
import type { DropListener, EventStore, JsonObject } from '../core/types.js';
import type { Processed, WireEvent } from '../core/wire.js';
import { memoryStore } from '../plugins/memory-store.js';
import { doc, on, win } from './env.js';
import { browserIdentity } from './identity.js';
import { pageContext } from './page-context.js';
import { browserTransport } from './transport.js';

/**
 * Event types and their properties, for type-checked track() calls: `createTracker<MyEvents>(…)`
 * where `interface MyEvents { signup: { plan: string } }` (an interface or a type alias).
 */
export type EventMap<Events = Record<string, object>> = { [K in keyof Events]: object };

/** Properties, then options; properties may be left out only when every one of them is optional. */
export type TrackArgs<P> = Record<never, never> extends P ? [properties?: P, options?: TrackOptions] : [properties: P, options?: TrackOptions];

/** Runs once when the tracker is made; may listen to the page and call the tracker. */
export type TrackerPlugin = (tracker: BrowserTracker, identity: Identity) => void;

export interface BrowserTrackerOptions {
  /** Base URL of the Inflow edge, e.g. "https://collect.example.com". */
  endpoint: string;
  sourceId: string;
  /** Where queued events wait; memory by default, `localStorageStore` to survive reloads. */
  store?: EventStore;
  /** Nothing is stored (cookie, storage) or sent before consent(). */
  consentRequired?: boolean;
  /** Ids in memory only: no cookie, no localStorage. */
  cookieless?: boolean;
  cookieDomain?: string;
  sessionTimeoutMinutes?: number;
  maxBatchEvents?: number;
  flushMs?: number;
  /** Queue bounds: the oldest events go first when one is hit (reported to onDrop). */
  maxQueuedEvents?: number;
  maxQueuedBytes?: number;
  maxEventAgeMs?: number;
  /** Edit an event before it is queued, or return null to drop it. */
  beforeSend?: (event: WireEvent) => WireEvent | null | void;
  /** Told about every accepted event that is given up (queue bound hit, refused by the edge). */
  onDrop?: DropListener;
  plugins?: TrackerPlugin[];
  debug?: boolean;
}

export interface BrowserTracker<Events extends EventMap<Events> = Record<string, JsonObject>> {
  /** Rejects with an InvalidEventError (and nothing is queued) when the event would be refused. */
  track<K extends keyof Events & string>(type: K, ...args: TrackArgs<Events[K]>): Promise<Processed | undefined>;
  page(properties?: JsonObject): Promise<Processed | undefined>;
  identify(profileIdOrTraits: string | JsonObject, traits?: JsonObject): Promise<Processed | undefined>;
  group(groupId: string, traits?: JsonObject): Promise<Processed | undefined>;
  alias(newId: string, previousId?: string): Promise<Processed | undefined>;
  /** Super properties, merged into every event's properties. */
  register(properties: JsonObject): void;
  unregister(key: string): void;
  /** Calls back once the tracker is ready (at once, asynchronously, for a tracker made by createTracker). */
  ready(callback: () => void): void;
  profileId(): string;
  flush(): Promise<void>;
  reset(): void;
  consent(consent: Consent): void;
  debug(on: boolean): void;
}

/**
 * The browser tracker: the core plus browser identity, page context, keepalive/beacon
 * delivery, and a flush when the page is hidden or left. It listens to pagehide and
 * visibilitychange, never to unload/beforeunload, so pages stay eligible for the back-forward cache.
 */
export function createTracker<Events extends EventMap<Events> = Record<string, JsonObject>>(options: BrowserTrackerOptions): BrowserTracker<Events> {
  let debugging = options.debug === true;
  // eslint-disable-next-line no-console -- debug mode is the place the SDK reports bad arguments
  const log = (message: string, detail?: unknown): unknown => debugging && console.warn(`[inflow] ${message}`, detail ?? '');
  const identity = browserIdentity(options);
  const core = createCore({ ...options, transport: browserTransport(), store: options.store ?? memoryStore(), identity, context: pageContext, log });
  on(win(), 'pagehide', () => void core.flush(true));
  // Hidden: as if left. Back on the page: what a beacon carried is sent again until a response confirms it.
  // (document.hidden is true exactly when visibilityState is "hidden".)
  on(doc(), 'visibilitychange', () => void core.flush(doc()?.hidden));

  /** Bad arguments reject the returned promise; nothing ever throws into the page. */
  const sending =
    <A extends unknown[]>(fn: (...args: A) => Promise<Processed | undefined>) =>
    async (...args: A): Promise<Processed | undefined> => {
      try {
        return await fn(...args);
      } catch (error) {
        log('call threw', error);
        if (error instanceof InvalidEventError) throw error;
      }
    };
  const tracker: BrowserTracker<Events> = {
    ...core,
    track: sending(core.track as (type: string, properties?: object, opts?: TrackOptions) => Promise<Processed | undefined>),
    page: sending((properties?: JsonObject) => core.track('page-view', { title: doc()?.title, ...properties })),
    identify: sending(core.identify),
    group: sending(core.group),
    alias: sending(core.alias),
    ready: (callback) => void Promise.resolve().then(callback).catch((error: unknown) => log('ready() threw', error)),
    profileId: identity.profileId,
    flush: () => core.flush(),
    debug: (value) => {
      debugging = value;
    },
  };
  for (const plugin of options.plugins ?? []) {
    try {
      plugin(tracker as unknown as BrowserTracker, identity);
    } catch (error) {
      log('plugin threw', error);
    }
  }
  return tracker;
}
