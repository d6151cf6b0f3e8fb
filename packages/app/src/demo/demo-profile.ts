import type { EventRecord, ProfileRecord, RecordStore, SessionRecord } from '@inflow/core';
import { type HttpHandler, type HttpReply, type HttpRequest, methodNotAllowed, routedMethod } from '@inflow/edge';
import { cookieValue } from './cookies.js';

/** The path of the demo's read route on the public port. */
export const DEMO_PROFILE_PATH = '/demo/profile';
/** The first-party cookie in which the browser tracker keeps its profile id. */
export const PROFILE_COOKIE = 'inflow_pid';
const EVENTS_SHOWN = 20;
const SESSIONS_SHOWN = 5;
/** The ids the tracker makes: random v4 UUIDs, which nobody can guess. */
const TRACKER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface DemoProfileDeps {
  store: Pick<RecordStore, 'getProfile' | 'listEvents' | 'listSessions'>;
  /** The demo's source: only its profiles are shown, and only its events. */
  sourceId: string;
}

/** What the demo shop's live panel reads: the visitor's own stored profile, without internals. */
export interface DemoProfileAnswer {
  /** `no-cookie`: the browser sent no tracker-made profile id; `not-found`: nothing stored for it (yet) from the demo source. */
  state: 'found' | 'no-cookie' | 'not-found';
  profile: Pick<ProfileRecord, 'id' | 'createdAt' | 'firstVisitAt' | 'lastVisitAt' | 'visits' | 'eventCount' | 'traits'> | null;
  sessions: Array<Pick<SessionRecord, 'id' | 'startedAt' | 'lastEventAt' | 'eventCount' | 'landingPage' | 'referrer' | 'utm'>>;
  /** Newest first. */
  events: Array<Pick<EventRecord, 'id' | 'type' | 'time' | 'receivedAt' | 'sessionId' | 'properties' | 'page'>>;
}

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/**
 * GET /demo/profile: the profile named by the request's own tracker cookie, its last sessions
 * and events. Never an id from the query; only tracker-made ids; only the demo source's data.
 */
export async function demoProfile(deps: DemoProfileDeps, request: HttpRequest): Promise<DemoProfileAnswer> {
  const id = cookieValue(request.headers['cookie'], PROFILE_COOKIE);
  if (!id || !TRACKER_ID.test(id)) return empty('no-cookie');
  const profile = await deps.store.getProfile(id);
  if (!profile || profile.lastSourceId !== deps.sourceId) return empty('not-found');
  const [sessions, events] = await Promise.all([deps.store.listSessions(id, SESSIONS_SHOWN), deps.store.listEvents({ profileId: id, limit: EVENTS_SHOWN })]);
  return {
    state: 'found',
    profile: pick(profile, ['id', 'createdAt', 'firstVisitAt', 'lastVisitAt', 'visits', 'eventCount', 'traits']),
    sessions: sessions
      .filter((session) => session.sourceId === deps.sourceId)
      .map((session) => pick(session, ['id', 'startedAt', 'lastEventAt', 'eventCount', 'landingPage', 'referrer', 'utm'])),
    events: events
      .filter((event) => event.sourceId === deps.sourceId)
      .map((event) => pick(event, ['id', 'type', 'time', 'receivedAt', 'sessionId', 'properties', 'page'])),
  };
}

/**
 * The public handler with the demo's read route in front of it (register it only while the demo
 * is served). Every other request goes straight on: one string comparison, nothing allocated.
 */
export function withDemoRoutes(deps: DemoProfileDeps, next: HttpHandler): HttpHandler {
  return (request) => (request.path === DEMO_PROFILE_PATH ? demoProfileReply(deps, request) : next(request));
}

async function demoProfileReply(deps: DemoProfileDeps, request: HttpRequest): Promise<HttpReply> {
  if (routedMethod(request.method) !== 'GET') return methodNotAllowed(request.method, request.path, ['GET', 'HEAD']);
  return { status: 200, headers: HEADERS, body: JSON.stringify(await demoProfile(deps, request)) };
}

function empty(state: DemoProfileAnswer['state']): DemoProfileAnswer {
  return { state, profile: null, sessions: [], events: [] };
}

function pick<T extends object, K extends keyof T>(record: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) if (record[key] !== undefined) picked[key] = record[key];
  return picked;
}
