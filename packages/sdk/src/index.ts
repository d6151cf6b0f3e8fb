/** Browser and SPA entry: tree-shakable, no side effects on import. */
export {
  createTracker,
  type BrowserTracker,
  type BrowserTrackerOptions,
  type EventMap,
  type TrackArgs,
  type TrackerPlugin,
} from './browser/browser-tracker.js';
export { localStorageStore } from './plugins/local-storage-store.js';
export { memoryStore } from './plugins/memory-store.js';
export { autoPageViews } from './plugins/auto-page-views.js';
export { privacySignals } from './plugins/privacy-signals.js';
export { autocapture, type AutocaptureOptions } from './plugins/autocapture.js';
export { crossDomainLinking, type CrossDomainOptions } from './plugins/cross-domain-linking.js';
export { decide, retryAfterMs, type RetryDecision, type RetryOptions } from './core/retry-policy.js';
export { InvalidEventError, isInvalidEventError, type InvalidEventCode } from './core/errors.js';
export type { Consent } from './core/consent-state.js';
export type { Identity, TrackOptions } from './core/tracker.js';
export type { DropListener, DropReason, EventStore, QueuedEvent, Transport, SendResult, JsonObject } from './core/types.js';
export type { Processed, RejectedEvent, WireEvent, WirePayload } from './core/wire.js';
