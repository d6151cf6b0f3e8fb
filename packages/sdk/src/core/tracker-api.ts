/** What the tracker's core needs and offers: its ports (identity, store, transport), settings and calls. */
import type { Consent } from './consent-state.js';
import type { DropListener, DropReason, EventStore, JsonObject, Logger, Transport } from './types.js';
import type { Processed, WireEvent } from './wire.js';

export interface Identity {
  profileId(): string;
  sessionId(): string;
  setProfileId(id: string): void;
  /** Forgets both ids, in memory and in storage. */
  reset(): void;
  /** Whether ids may be written to cookies and storage (consent given, not cookieless). */
  persist?(allowed: boolean): void;
}

export interface TrackerSettings {
  endpoint: string;
  sourceId: string;
  transport: Transport;
  store: EventStore;
  identity: Identity;
  /** Page and device context, sent once per request. */
  context?: () => JsonObject;
  maxBatchEvents?: number;
  flushMs?: number;
  /** Queue bounds: when one is hit the oldest events go first, reported to onDrop. */
  maxQueuedEvents?: number;
  maxQueuedBytes?: number;
  maxEventAgeMs?: number;
  /** Nothing is stored or sent before consent(); events wait in memory. */
  consentRequired?: boolean;
  /** Edit an event before it is queued (return it), or return null to drop it. A hook that throws leaves the event as it was. */
  beforeSend?: (event: WireEvent) => WireEvent | null | void;
  onDrop?: DropListener;
  /** Told of every `count` events that leave the queue: delivered (no reason) or given up (reason). Internal: counts for the Node tracker. */
  _counted?: (count: number, reason?: DropReason) => void;
  /** Retries, drops and hooks that threw; the message has no prefix (the browser's debug output and the Node tracker's onError add "[inflow] "). */
  log: Logger;
  /** Returns a truthy handle, as setTimeout does (a positive id in browsers, an object in Node); cleared by clearTimeout. */
  setTimer?: (fn: () => void, ms: number) => unknown;
}

export interface TrackOptions {
  /** Send now and resolve with the processed answer (200: profile, session, event ids). */
  processed?: boolean;
  /** Client time of the event (defaults to now). */
  time?: Date;
  context?: JsonObject;
  /** Consent category of the event (default "analytics"): it is kept and sent only while that category is granted. */
  category?: string;
  /** Server-side tracking: whose event this is (the browser tracker knows it by itself). */
  profileId?: string;
  sessionId?: string;
}

export type Sent = Promise<Processed | undefined>;

/** The tracker's core, as made by createCore. */
export interface Tracker {
  /** Throws an InvalidEventError (and queues nothing) when the edge would refuse the event. */
  track(type: string, properties?: JsonObject, options?: TrackOptions): Sent;
  /**
   * Refuses an id the edge would refuse (too long, control characters) before it is kept anywhere.
   * Traits alone (an object first) describe the current profile.
   */
  identify(profileIdOrTraits: string | JsonObject, traits?: JsonObject): Sent;
  group(groupId: string, traits?: JsonObject): Sent;
  /** The current profile becomes `newId`; the event links it to `previousId` (default: the id it had). */
  alias(newId: string, previousId?: string): Sent;
  /** Super properties: merged into the properties of every event tracked from now on (the event's own win). */
  register(properties: JsonObject): void;
  unregister(key: string): void;
  /** Sends everything queued now; resolves when the queue is empty or waiting for a retry. */
  flush(unloading?: boolean): Promise<void>;
  /**
   * Grant or withdraw consent, in all or per category. Withdrawing everything purges the queue
   * (memory and storage) and the ids (cookies and storage); events of a withdrawn category go.
   */
  consent(consent: Consent): void;
  /** A new anonymous profile and session (logout); queued events keep the ids they had. */
  reset(): void;
  pending(): number;
  /** Milliseconds before the next request may go (Retry-After or backoff); 0 when it may go now. */
  retryInMs(): number;
}
