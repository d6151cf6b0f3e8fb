import { allows, allowsAny, type Consent } from './consent-state.js';
import { checkEvent, checkName } from './event-check.js';
import { uuid } from './ids.js';
import { payloadOf, requestKey } from './payloads.js';
import { backoffMs, refusal } from './retry-policy.js';
import type { Sent, Tracker, TrackerSettings, TrackOptions } from './tracker-api.js';
import type { DropReason, JsonObject, QueuedEvent, SendResult } from './types.js';
import type { Processed, WireEvent } from './wire.js';

export type { Identity, Tracker, TrackerSettings, TrackOptions } from './tracker-api.js';

/** A queued event whose caller waits for its answer (track(…, { processed })); a function is never stored. */
type Waited = QueuedEvent & { _answer?: (answer: Processed | undefined) => void };

/** UTF-8 bytes of one request's events. */
const MAX_BATCH_BYTES = 60_000;

/**
 * The tracker's core, free of any browser or Node API: check, queue (bounded by count, bytes
 * and age), batch, send with retries that never give up on a transient failure, persist
 * through the store, and never throw into the host except for an invalid event.
 */
export function createCore(settings: TrackerSettings): Tracker {
  // The defaults, stated once; a setting left undefined takes its default.
  const {
    identity,
    store,
    maxBatchEvents = 50,
    flushMs = 1_000,
    maxQueuedEvents = 1_000,
    maxQueuedBytes = 2_000_000,
    maxEventAgeMs = 24 * 3_600_000,
    consentRequired,
    log,
    setTimer = setTimeout as (fn: () => void, ms: number) => unknown,
  } = settings;
  const url = `${settings.endpoint.replace(/\/$/, '')}/track`;
  let queue: Waited[] = [];
  let timer: unknown;
  /** The flush under way (0: none). */
  let sending: Promise<void> | 0 = 0;
  /** Events on the wire: no other request may carry them at the same time. */
  const inFlight = new Set<QueuedEvent>();
  let attempt = 0;
  /** No request before this time (Retry-After or backoff), whatever path asks. */
  let retryAt = 0;
  let consent: Consent | undefined = consentRequired ? undefined : true;
  let superProperties: JsonObject = {};

  const storing = (): boolean => allowsAny(consent);
  const retryInMs = (): number => Math.max(0, retryAt - Date.now());
  const persist = (): undefined => void (storing() && safe(() => store.save(queue)));
  const none = async (): Promise<undefined> => undefined;

  /** Takes events out of the queue: delivered, or given up for `reason` (reported to onDrop). */
  const remove = (events: QueuedEvent[], reason?: DropReason): undefined => {
    const count = events.length;
    if (!count) return;
    queue = queue.filter((item) => !events.includes(item));
    settings._counted?.(count, reason);
    if (reason) {
      log(`${reason}: ${count} dropped`);
      safe(() => settings.onDrop?.(events.map((item) => item.event), reason));
    }
    return persist();
  };

  /** Applies the queue's bounds, oldest first: the age bound, then count and bytes. Returns the bytes queued. */
  const trim = (): number => {
    remove(
      queue.filter((item) => Date.now() - item.at > maxEventAgeMs),
      'too-old',
    );
    let bytes = 0;
    for (const item of queue) bytes += item.bytes;
    let over = 0;
    while (queue.length - over > maxQueuedEvents || bytes > maxQueuedBytes) bytes -= (queue[over++] as QueuedEvent).bytes;
    remove(queue.slice(0, over), 'queue-full');
    return bytes;
  };

  const schedule = (ms: number): void => {
    const wait = Math.max(ms, retryInMs());
    // A timer handle is truthy (see setTimer).
    if (timer) {
      if (wait > 0) return;
      clearTimeout(timer as ReturnType<typeof setTimeout>);
    }
    timer = setTimer(() => {
      timer = 0;
      void flush();
    }, wait);
  };

  /** Queues `item` (if any), applies the bounds, stores, and schedules sending (now when `soon`). */
  const enqueue = (soon: boolean, item?: QueuedEvent): void => {
    if (item) queue.push(item);
    const bytes = trim();
    persist();
    if (storing() && queue[0]) schedule(soon || queue.length >= maxBatchEvents || bytes >= MAX_BATCH_BYTES ? 0 : flushMs);
  };

  /** Events a page left behind (this one's stored queue, or a closed tab's) go out at once; one already queued is not taken twice. */
  const add = (items: QueuedEvent[]): void => {
    const known = new Set(queue.map((item) => item.event.id));
    queue = [...items.filter((item) => !known.has(item.event.id)), ...queue].sort((a, b) => a.at - b.at);
    enqueue(true);
  };

  /** Loads this page's stored queue, adopts those of pages that are gone, and schedules sending. */
  const restore = (): void => {
    add(safe(() => store.load()) ?? []);
    void store.adopt?.().then(add, () => undefined);
  };

  /**
   * Sends events that share one payload; returns true when they must be retried later (retryAt is set).
   * A request refused as a whole (413, 400) is halved until the culprit is alone, and only it goes.
   */
  const sendGroup = async (events: Waited[], unloading: boolean): Promise<true | undefined> => {
    for (const item of events) inFlight.add(item);
    const result: SendResult = await settings.transport.send(url, JSON.stringify(payloadOf(events, settings.sourceId)), { unloading });
    const ok = result.kind === 'ok';
    // Only an ok result carries a body.
    const answer = (result as { body?: Processed }).body;
    // Handed to the browser, not confirmed: they stay queued (and stored) until a response confirms them.
    const beacon = result.kind === 'beacon';
    for (const item of events) {
      inFlight.delete(item);
      // A waiting caller is told the first answer; a later one changes nothing.
      item._answer?.(answer);
      if (beacon) item.beacon = true;
    }
    if (beacon) return persist();
    // decide()'s rule (retry-policy.ts): done, split a request refused as a whole, or retry later.
    const reason = refusal(result);
    if (!ok && !reason) {
      const ms = backoffMs(result, attempt++);
      retryAt = Date.now() + ms;
      log(`retry in ${ms} ms`, result);
      return true;
    }
    attempt = 0;
    if (reason) {
      if (!events[1]) return remove(events, reason);
      const half = (events.length + 1) >> 1; // half, rounded up
      return (await sendGroup(events.slice(0, half), unloading)) || sendGroup(events.slice(half), unloading);
    }
    const first = events[0] as QueuedEvent;
    const profile = answer?.profile?.id;
    if (first.processed && profile && profile !== first.profileId) identity.setProfileId(profile);
    const rejected = (_: QueuedEvent, index: number): boolean | undefined => answer?.rejected?.some((r) => r.index === index);
    remove(events.filter(rejected), 'rejected');
    return remove(events.filter((item, index) => !rejected(item, index)));
  };

  const sendAll = async (unloading: boolean): Promise<void> => {
    for (;;) {
      trim();
      // The oldest events that may go now, and those right after them that share their request
      // (profile, session, page context, mode), as many as fit one request. A page being left
      // does not send what a beacon already carries.
      const batch: QueuedEvent[] = [];
      let bytes = 0;
      for (const item of storing() ? queue : []) {
        if (inFlight.has(item) || (unloading && item.beacon)) continue;
        bytes += item.bytes;
        if (batch[0] && (requestKey(item) !== requestKey(batch[0]) || batch.length >= maxBatchEvents || bytes > MAX_BATCH_BYTES)) break;
        batch.push(item);
      }
      if (!batch[0]) return;
      // Retry-After and backoff hold every path back: the timer, flush(), and a page being left.
      // After a failed send (it set retryAt) the timer takes over; a page being left does not wait.
      if (retryInMs() > 0 || (await sendGroup(batch, unloading))) return unloading ? undefined : schedule(0);
    }
  };

  const flush = (unloading?: boolean): Promise<void> => (unloading ? sendAll(true) : (sending ||= sendAll(false).finally(() => (sending = 0))));

  const track = (type: string, properties?: JsonObject, options: TrackOptions = {}): Sent => {
    const category = options.category;
    // Before consent is given or refused (undefined), events wait in memory.
    if (!allows(consent ?? true, category)) {
      log(`no consent: ${type} dropped`);
      return none();
    }
    let event: WireEvent = {
      id: uuid(),
      type,
      // Only a plain object's own entries are properties (spreading null or false adds nothing).
      properties: { ...superProperties, ...(typeof properties === 'object' && !Array.isArray(properties) && properties) },
      time: (options.time ?? new Date()).toISOString(),
    };
    try {
      const edited = settings.beforeSend?.(event);
      if (edited === null) return none();
      if (edited) event = edited;
    } catch (error) {
      log('beforeSend threw', error);
    }
    const context = { ...safe(() => settings.context?.()), ...options.context };
    const item: Waited = {
      ...checkEvent(event, context),
      profileId: checkName(options.profileId ?? identity.profileId(), 'profileId'),
      sessionId: checkName(options.sessionId ?? identity.sessionId(), 'sessionId'),
      context,
      at: Date.now(),
      category,
    };
    // A processed call goes first in line when it may go now; otherwise it waits its turn, queued.
    if (options.processed && storing() && !retryInMs()) item.processed = true;
    enqueue(false, item);
    return item.processed
      ? new Promise((resolve) => {
          item._answer = resolve;
          void flush();
        })
      : none();
  };

  identity.persist?.(!consentRequired);
  if (!consentRequired) restore();

  return {
    track,
    identify(profileIdOrTraits, traits = {}) {
      if (typeof profileIdOrTraits === 'string') identity.setProfileId(checkName(profileIdOrTraits, 'profileId'));
      else traits = profileIdOrTraits;
      return track('identify', { traits });
    },
    group: (groupId, traits = {}) => track('group', { groupId: checkName(groupId, 'groupId'), traits }),
    alias(newId, previousId) {
      const previous = checkName(previousId ?? identity.profileId(), 'previousId');
      identity.setProfileId(checkName(newId, 'profileId'));
      return track('alias', { previousId: previous });
    },
    register(properties) {
      superProperties = { ...superProperties, ...properties };
    },
    unregister(key) {
      delete superProperties[key];
    },
    flush,
    consent(given) {
      consent = given;
      identity.persist?.(storing());
      // Events of a withdrawn category go (all of them when nothing is granted).
      queue = queue.filter((item) => allows(given, item.category));
      if (storing()) return restore();
      safe(() => store.clear());
      identity.reset();
    },
    reset() {
      identity.reset();
      superProperties = {};
    },
    pending: () => queue.length,
    retryInMs,
  };
}

/** Runs a user callback or a store call; what it throws is ignored (undefined). */
function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    // ignored: undefined
  }
}
