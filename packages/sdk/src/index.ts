/** Browser and SPA entry: tree-shakable, no side effects on import. */
export { createTracker, type BrowserTracker, type BrowserTrackerOptions } from './browser/browser-tracker.js';
export { localStorageStore, type LocalStorageStoreOptions } from './plugins/local-storage-store.js';
export { memoryStore } from './plugins/memory-store.js';
export { autoPageViews } from './plugins/auto-page-views.js';
export { privacySignals } from './plugins/privacy-signals.js';
export { decide, retryAfterMs, type RetryDecision, type RetryOptions } from './core/retry-policy.js';
export type { Processed, TrackOptions } from './core/tracker.js';
export type { EventStore, QueuedEvent, Transport, SendResult } from './core/types.js';
