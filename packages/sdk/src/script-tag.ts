/**
 * The script-tag build. The snippet leaves `window.inflow` as an array of [method, args]
 * calls; this replaces it with the real API and replays those calls in order. Its features are
 * the default set; page views on SPA route changes come as an add-on script (src/addons/).
 */
import { createTracker, type BrowserTracker, type BrowserTrackerOptions } from './browser/browser-tracker.js';
import { type EarlyCall, keepEarlyCall } from './early-calls.js';
import { win } from './browser/env.js';
import { localStorageStore } from './plugins/local-storage-store.js';
import { privacySignals } from './plugins/privacy-signals.js';

interface ScriptOptions extends BrowserTrackerOptions {
  /** Keep queued events in localStorage (default true, false when cookieless). */
  persist?: boolean;
  /** Treat Global Privacy Control and Do-Not-Track as an opt-out. */
  honorPrivacySignals?: boolean;
}

/** Every method of the tracker: the snippet's, then profileId (which answers only once the script is loaded). */
const METHODS = 'track page identify group alias register unregister ready flush reset consent debug profileId'.split(' ') as Array<keyof BrowserTracker>;

const w = win() as (Window & { inflow?: EarlyCall[] | Record<string, unknown> }) | undefined;
if (w) {
  const queued = Array.isArray(w.inflow) ? w.inflow : [];
  /** Calls made before init (an add-on loaded first, a site that inits late): made, in order, by init. */
  const early: EarlyCall[] = [];
  let tracker: BrowserTracker | undefined;
  const init = (o: ScriptOptions): void => {
    if (tracker) return;
    tracker = createTracker({ ...o, store: (o.persist ?? !o.cookieless) ? localStorageStore(o.sourceId) : undefined });
    if (o.honorPrivacySignals && privacySignals()) tracker.consent(false);
    for (const [name, args] of early) api[name]?.(...args);
  };
  const api = { init } as Record<string, (...args: unknown[]) => unknown>;
  for (const name of METHODS) api[name] = (...args: unknown[]) => (tracker ? (tracker[name] as (...a: unknown[]) => unknown)(...args) : keepEarlyCall(early, [name, args]));
  w.inflow = api;
  for (const [name, args] of queued) api[name]?.(...args);
}
