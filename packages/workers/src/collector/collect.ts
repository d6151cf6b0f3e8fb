import { correctedTimeMs, eventTimeMs, type JsonObject, sentAtMs, type TrackEvent } from '@inflow/protocol';
import { type Envelope, eventKey, MAX_CLOCK_SKEW_MS, type EventRecord, type PageContext, type ProfileRecord, type SessionRecord, type StorageBatch } from '@inflow/core';
import { eventMark, remember, unseenEvents } from './event-marks.js';
import { asObject, pageFromContext, utmFromUrl, withUtm } from './page-context.js';

/**
 * How many events a profile (and a session) remembers, as short hashes of their ids (see
 * event-marks.ts), to recognise one it has already counted: a redelivered batch, or a client's
 * retry. Past it the store decides (collect-and-store.ts asks it whenever a write finds events
 * already stored); within it nothing needs asking, and one write's requests that carry an
 * event twice count it once. The bounds below it keep a whole redelivery inside it: a request carries at most
 * MOST_EVENTS_PER_REQUEST events (INFLOW_MAX_EVENTS is refused above it), the edge puts at most
 * a quarter of this many events of one profile in a queue message (one larger request alone),
 * the collector writes at most half of it for one profile at once, so that the write delivered
 * again after a crash and the one whose acknowledgement was lost are both still remembered.
 * Every write of a profile and of its session carries the whole window: 256 marks are 2 KB of
 * each document; 512 cost Elasticsearch 1.6 to 1.7 times the CPU a write of 256 does
 * (bench/es-state-writes.mjs).
 */
export const RECENT_EVENTS_KEPT = 256;

/** The most events one request may carry (the ceiling of INFLOW_MAX_EVENTS): half the window. */
export const MOST_EVENTS_PER_REQUEST = RECENT_EVENTS_KEPT / 2;

/** How many session ids a profile remembers, to count each visit once. */
export const RECENT_SESSIONS_KEPT = 32;

/** Event type whose properties become profile traits. */
export const IDENTIFY_EVENT = 'identify';

export interface CollectState {
  profile: ProfileRecord | null;
  session: SessionRecord | null;
}

/**
 * The collector's business rule, free of I/O: one accepted request and the current
 * profile and session in, the next profile and session and the event records out.
 */
/** A request's records, and the events of it the profile had already counted. */
export interface CollectedBatch extends StorageBatch {
  /** The ids of events the profile had counted before (an id given twice: its second time). */
  duplicates: readonly string[];
  /** Whether the session counted every event the profile counted (and no other). */
  sessionCountedAlike: boolean;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Events whose keys (`eventKey`) are in `counted.profile` (`counted.session`) were counted by the
 * profile (the session) already, however long ago: the store says so (see collect-and-store.ts).
 */
export interface KnownCounted {
  profile: ReadonlySet<string>;
  session: ReadonlySet<string>;
}

export function collect(envelope: Envelope, state: CollectState, counted?: KnownCounted): CollectedBatch {
  const { payload, meta } = envelope;
  const at = new Date(envelope.receivedAt).toISOString();
  const sent = payload.context ?? {};
  const context = withUtm(sent);
  const page = pageFromContext(context, meta.referer);
  // A redelivered request, or a client's retry of events already counted, must not count again.
  // Profile and session each remember what they counted: when a request is applied again on a
  // store copy where only one of them had it, the other still counts it.
  const ids = payload.events.map((event) => event.id);
  const fresh = unseenEvents(notCounted(ids, payload.profile.id, counted?.profile), state.profile?.recentEventIds);
  const freshInSession = unseenEvents(notCounted(ids, payload.profile.id, counted?.session), state.session?.recentEventIds);

  // Read once for the request's events: how far the client's clock is off (none without sentAt).
  const sentMs = payload.sentAt === undefined ? undefined : sentAtMs(payload.sentAt);
  const events: EventRecord[] = payload.events.map((event) => ({
    id: event.id,
    type: event.type,
    ...eventTimes(event, sentMs, envelope.receivedAt, at),
    receivedAt: at,
    sourceId: payload.source.id,
    profileId: payload.profile.id,
    sessionId: payload.session.id,
    requestId: envelope.id,
    properties: event.properties ?? {},
    context: event.context ? withUtm({ ...sent, ...event.context }) : context,
    ...optional('page', event.context ? (pageFromContext({ ...context, ...event.context }, meta.referer) ?? page) : page),
    ...optional('userAgent', meta.userAgent),
    async: event.options?.async ?? false,
  }));

  // Visits and sessions go by when their events happened (an offline queue, a late batch), as far
  // back as an event's time is believed (MAX_CLOCK_SKEW_MS); past that, or ahead of the receipt, a
  // client's clock is taken for wrong and the time received counts.
  const { first, last } = eventSpan(events, at, new Date(envelope.receivedAt - MAX_CLOCK_SKEW_MS).toISOString());

  // A visit counts once per session id, also when the request is applied again.
  const newSession = state.profile?.recentSessionIds ? !state.profile.recentSessionIds.includes(payload.session.id) : state.session === null;
  // Trackers may put the page in each event's context rather than the request's: the session's
  // landing page is the first page the request names, wherever it is; the Referer header
  // (origin only, cross-origin) is the last resort.
  const landing = pageFromContext(context, undefined) ?? eventPage(payload.events, context) ?? page;
  const session: SessionRecord = state.session
    ? {
        ...state.session,
        profileId: payload.profile.id,
        startedAt: earlier(state.session.startedAt, first),
        lastEventAt: later(state.session.lastEventAt, last),
        eventCount: state.session.eventCount + freshInSession.length,
        recentEventIds: remember(state.session.recentEventIds, freshInSession, RECENT_EVENTS_KEPT),
        version: state.session.version + 1,
      }
    : {
        id: payload.session.id,
        profileId: payload.profile.id,
        sourceId: payload.source.id,
        startedAt: first,
        lastEventAt: last,
        eventCount: freshInSession.length,
        recentEventIds: remember(undefined, freshInSession, RECENT_EVENTS_KEPT),
        context,
        version: 1,
        ...optional('userAgent', meta.userAgent),
        ...optional('ip', meta.ip),
        ...optional('landingPage', landing),
        ...optional('referrer', landing?.referrer),
        ...optional('utm', utmFromUrl(landing?.url)),
      };

  const traits = identifyTraits(payload.events);
  const previous = state.profile;
  const profile: ProfileRecord = previous
    ? {
        ...previous,
        updatedAt: at,
        firstVisitAt: earlier(previous.firstVisitAt, first),
        lastVisitAt: later(previous.lastVisitAt, last),
        visits: previous.visits + (newSession ? 1 : 0),
        eventCount: previous.eventCount + fresh.length,
        traits: traits ? mergeTraits(previous.traits, traits) : previous.traits,
        lastSourceId: payload.source.id,
        recentEventIds: remember(previous.recentEventIds, fresh, RECENT_EVENTS_KEPT),
        recentSessionIds: newSession ? [...(previous.recentSessionIds ?? []), payload.session.id].slice(-RECENT_SESSIONS_KEPT) : (previous.recentSessionIds ?? [payload.session.id]),
        version: previous.version + 1,
      }
    : {
        id: payload.profile.id,
        createdAt: at,
        updatedAt: at,
        firstVisitAt: first,
        lastVisitAt: last,
        visits: 1,
        eventCount: fresh.length,
        traits: traits ? mergeTraits({}, traits) : {},
        lastSourceId: payload.source.id,
        recentEventIds: remember(undefined, fresh, RECENT_EVENTS_KEPT),
        recentSessionIds: [payload.session.id],
        version: 1,
      };

  const duplicates = fresh.length === ids.length ? NONE : notAmong(ids, fresh);
  const sessionCountedAlike = freshInSession.length === fresh.length && freshInSession.every((mark, i) => mark === fresh[i]);
  return { requestId: envelope.id, profile, session, events, duplicates, sessionCountedAlike };
}

function notCounted(ids: readonly string[], profileId: string, counted: ReadonlySet<string> | undefined): readonly string[] {
  return counted && counted.size > 0 ? ids.filter((id) => !counted.has(eventKey(profileId, id))) : ids;
}

/** The ids whose marks are not among `fresh` (an id given twice: its second time), in order. */
function notAmong(ids: readonly string[], fresh: readonly string[]): string[] {
  const left = new Set(fresh);
  return ids.filter((id) => {
    const mark = eventMark(id);
    return !left.delete(mark);
  });
}

function eventPage(events: TrackEvent[], context: JsonObject): PageContext | undefined {
  for (const event of events) {
    if (!event.context) continue;
    const page = pageFromContext({ ...context, ...event.context }, undefined);
    if (page) return page;
  }
  return undefined;
}

/**
 * The event's own time, corrected for the client's clock when the request says when it was sent
 * (`sentMs`, read: correctedTimeMs), and then also the client's own (clientTime); without a time of
 * its own, `fallback`, the time received.
 */
function eventTimes(event: TrackEvent, sentMs: number | undefined, receivedAt: number, fallback: string): { time: string; clientTime?: string } {
  const own = event.time === undefined ? undefined : eventTimeMs(event.time);
  if (own === undefined) return { time: fallback };
  const corrected = correctedTimeMs(own, sentMs, receivedAt);
  return corrected === own ? { time: new Date(own).toISOString() } : { time: new Date(corrected).toISOString(), clientTime: new Date(own).toISOString() };
}

function identifyTraits(events: TrackEvent[]): JsonObject | undefined {
  let traits: JsonObject | undefined;
  for (const event of events) {
    if (event.type !== IDENTIFY_EVENT) continue;
    const props = asObject(event.properties?.['traits']) ?? event.properties;
    if (props) traits = { ...traits, ...props };
  }
  return traits;
}

/** Most traits a profile keeps; past it the traits set longest ago go first. */
export const MAX_TRAITS = 1000;

function mergeTraits(previous: JsonObject, next: JsonObject): JsonObject {
  const merged: JsonObject = { ...previous };
  for (const [key, value] of Object.entries(next)) {
    delete merged[key]; // a trait set again counts as the newest
    merged[key] = value;
  }
  const keys = Object.keys(merged);
  if (keys.length <= MAX_TRAITS) return merged;
  return Object.fromEntries(keys.slice(keys.length - MAX_TRAITS).map((key) => [key, merged[key]]));
}

/**
 * The earliest and the latest of the events' times, a time after `at` or before `oldest` counting
 * as `at` (both `at` without events). ISO times in UTC compare as text.
 */
function eventSpan(events: readonly EventRecord[], at: string, oldest: string): { first: string; last: string } {
  let first = at;
  let last = events.length > 0 ? '' : at;
  for (const event of events) {
    const time = event.time > at || event.time < oldest ? at : event.time;
    if (time < first) first = time;
    if (time > last) last = time;
  }
  return { first, last };
}

function later(a: string, b: string): string {
  return a > b ? a : b;
}

function earlier(a: string, b: string): string {
  return a < b ? a : b;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
