/**
 * Where each event has been: every stage appends entries, the private API and `inflow trace`
 * read them back by event, request or profile. Bounded and short-lived (a time to live and a
 * cap per key), cheap enough to stay on in production; it is a diagnostic, never the record of
 * what happened (the store is).
 */
export type TraceStage =
  /** The edge stored the request in place and answered 200 (detail: source). */
  | 'edge'
  /** The edge received the request (at) and the queue confirmed the message holding it: answered 201 (detail: source, topic, lane, confirmedInMs). */
  | 'queued'
  /** The collector stored the request's events, profile and session (detail: session, duplicates). */
  | 'stored'
  /** Events the collector had already counted (a redelivery or a resent request). */
  | 'deduplicated'
  /** A stage gave up on the request or event (detail: reason, stage, topic). */
  | 'dead-lettered'
  /** A stored event was put on a destination's queue or a rule's (detail: destination or rules). */
  | 'routed'
  /** A destination answered with success (detail: destination, status, attempts). */
  | 'delivered'
  /** A delivery attempt failed and will be retried (detail: destination, status or error, retry in ms). */
  | 'delivery-failed'
  /** Rules matched the event and ran (detail: rules, each with its actions and their results). */
  | 'rule';

export interface TraceEntry {
  /** Epoch milliseconds. */
  at: number;
  stage: TraceStage;
  /** The role that recorded it (edge, collector, dispatch, workflow). */
  role: string;
  requestId?: string;
  profileId?: string;
  /** The events the entry is about: the entry is found under each of them. */
  eventIds?: readonly string[];
  /**
   * Small, bounded facts (no payloads): topic, destination, status, reason, rule… A detail
   * shared by many entries may be frozen (deeply): a store may then serialise it once.
   */
  detail?: Readonly<Record<string, unknown>>;
}

/** What a store did with the entries handed to `keep`. */
export interface KeptEntries {
  /** Written (an entry the store's bound then let go at once, as the oldest, counts as kept). */
  kept: number;
  dropped: number;
  failed: number;
  /** Why the first failed one failed. */
  error?: unknown;
}

/**
 * Entries a store wrote out at once as it will send them (its `encode`), for a later
 * `appendEncoded`: what it holds, and what it left out at once.
 */
export interface EncodedTrace {
  /** Entries it holds. */
  readonly entries: number;
  /** Left out: over the store's bound. */
  readonly dropped: number;
  /** Left out: a detail JSON cannot write. */
  readonly failed: number;
  /** Why the first failed one failed. */
  readonly error?: unknown;
}

export interface TraceStore<Encoded extends EncodedTrace = EncodedTrace> {
  /**
   * Keeps the entries (each under its request, its profile and each of its events), and says how
   * many it kept: a store may keep fewer than it is given to stay within its bound.
   */
  append(entries: readonly TraceEntry[]): Promise<number>;
  /**
   * Keeps entries at once, for a store in this process that does it without I/O: the
   * TraceRecorder then hands it each loop turn's entries in one call instead of buffering them
   * for `append`. Says how many it kept, and how many it could not (too large: dropped; a
   * detail JSON cannot write: failed, with the first error).
   */
  keep?(entries: readonly TraceEntry[]): KeptEntries;
  /**
   * For a store that appends over the network: writes the entries the TraceRecorder gathered
   * (a few milliseconds' worth) out at once, as it will send them, without I/O. The TraceRecorder buffers what it returns, not the entries,
   * and hands batches of it to `appendEncoded`: the entries die young, where buffering them
   * until a network write made a busy edge's garbage collector copy each several times.
   */
  encode?(entries: readonly TraceEntry[]): Encoded;
  /** Appends what `encode` returned; says how many entries it kept (as `append`). */
  appendEncoded?(batches: readonly Encoded[]): Promise<number>;
  /**
   * Oldest first (every read), within the time to live. Under an event each entry's `eventIds`
   * is just that event: the request's other events are in `byRequest`.
   */
  byEvent(eventId: string): Promise<TraceEntry[]>;
  byRequest(requestId: string): Promise<TraceEntry[]>;
  /** The profile's newest `limit` entries, oldest first. */
  byProfile(profileId: string, limit: number): Promise<TraceEntry[]>;
  close(): Promise<void>;
}
