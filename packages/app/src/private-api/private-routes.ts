import { array, boolean, object, optional, refine, size, string } from 'superstruct';
import { MAX_ID_LENGTH, validateJson } from '@inflow/protocol';
import type { StructError } from 'superstruct';
import { type DefinitionStore, type Queue, type RecordStore, type ScheduleStore, type StatsBoard, structProblem, type TraceStore } from '@inflow/core';
import { errorReply, type HttpReply, type HttpRequest, json, Router, SourceExistsError, type SourceInput, type SourceRegistry } from '@inflow/edge';
import type { Secrets, SendWebhook } from '@inflow/workers';
import { withConsole } from '../console/console-routes.js';
import { withBacklogRoutes } from './backlog-routes.js';
import { requireBearer } from './bearer-auth.js';
import { listDeadLetters, replayDeadLetters } from './dead-letter-routes.js';
import { withDestinationRoutes } from './destination-routes.js';
import { withMetricsRoutes } from './metrics-routes.js';
import { invalid, limitOf, readBody } from './request-input.js';
import { withOpenApiRoutes } from './openapi-routes.js';
import { withRuleRoutes } from './rule-routes.js';
import { withScheduleRoutes } from './schedule-routes.js';
import { StatsHistory, withStatsRoutes } from './stats-routes.js';
import { withTraceRoutes } from './trace-routes.js';
import { outagesAs503 } from './unavailable.js';

export interface PrivateRoutesDeps {
  token: string;
  sources: SourceRegistry;
  store: RecordStore;
  queue: Queue;
  definitions: DefinitionStore;
  /** Delayed rule runs (listed and cancelled here). */
  schedule: ScheduleStore;
  /** Secret values destinations name (config); never answered. */
  secrets: Secrets;
  /** The destination test call's HTTP port (default: fetch). */
  sendWebhook?: SendWebhook;
  /** Where each event has been (GET /events/{id}/trace and the like), kept traceTtlSeconds. */
  trace: TraceStore;
  traceTtlSeconds: number;
  /** Every instance's counters (GET /stats), read every statsIntervalMs for the series. */
  stats: StatsBoard;
  statsIntervalMs: number;
  /** This process's Prometheus metrics (GET /metrics). */
  metrics?: { text(): Promise<string>; contentType: string };
}

/** The private API's handler; close() stops reading the stats board. */
export type PrivateApi = ((request: HttpRequest) => Promise<HttpReply>) & { close(): void };

/** An origin of a scheme the URL standard gives no origin of (capacitor:, chrome-extension:…; not file:, whose pages send `null`), in lower case. */
const OTHER_SCHEME_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[a-z0-9._~\-[\]:]+$/;
/**
 * An origin as browsers send it, or `*`: a source's origins are compared with the request's
 * Origin as they are, so any other spelling would never match. For http(s) that is
 * `scheme://host[:port]` as the URL standard serialises it (lower case, no default port, no
 * path); for other schemes (capacitor://localhost, chrome-extension://id) the same shape in lower
 * case; `null` is what sandboxed frames and file: pages send. Wildcards inside an origin are refused:
 * they would never match.
 */
const Origin = refine(size(string(), 1, 500), 'origin', (value) => {
  if (value === '*' || value === 'null') return true;
  if (value.includes('*')) return `${JSON.stringify(value.slice(0, 100))}: wildcards inside an origin are not supported; list each origin, or give "*" for any`;
  let origin: string | undefined;
  try {
    origin = new URL(value).origin;
  } catch {
    origin = undefined;
  }
  if (origin === value || (origin === 'null' && !value.startsWith('file:') && OTHER_SCHEME_ORIGIN.test(value))) return true;
  const hint = origin && origin !== 'null' ? ` (did you mean ${JSON.stringify(origin)}?)` : '';
  return `${JSON.stringify(value.slice(0, 100))} is not an origin: give scheme://host[:port] as a browser sends it${hint}, or "*"`;
});
const sourceFields = {
  name: optional(size(string(), 1, 200)),
  enabled: optional(boolean()),
  allowedOrigins: optional(array(Origin)),
};
/**
 * Unknown fields are refused: a misspelt allowedOrigins would otherwise leave the source open to
 * every origin. A change may be a record read back: its id must be the path's, its times are ignored.
 */
const SourceChange = object({ id: optional(string()), createdAt: optional(string()), updatedAt: optional(string()), ...sourceFields });
const NewSource = object({ id: size(string(), 1, MAX_ID_LENGTH), ...sourceFields });

/** The private API: sources, stored profiles, sessions and events, traces, stats, queue backlog, dead letters, destinations and rules. */
export function privateRoutes(deps: PrivateRoutesDeps): PrivateApi {
  const { sources, store, queue } = deps;
  const router = new Router()
    .on('GET', '/sources', async () => json(200, { sources: await sources.list() }))
    .on('POST', '/sources', async (request) => {
      const body = readBody(request);
      if (!body.ok) return body.reply;
      const [error, source] = validateJson(body.value, NewSource);
      if (error) return sourceProblem(error);
      try {
        return json(201, await sources.create(source.id, sourceInput(source)));
      } catch (error) {
        if (error instanceof SourceExistsError) return errorReply(409, 'conflict', error.message);
        throw error;
      }
    })
    .on('GET', '/sources/:id', async (_, { id = '' }) => found(await sources.get(id), `source "${id}"`))
    .on('PATCH', '/sources/:id', async (request, { id = '' }) => {
      const body = readBody(request);
      if (!body.ok) return body.reply;
      const [error, change] = validateJson(body.value, SourceChange);
      if (error) return sourceProblem(error);
      if (change.id !== undefined && change.id !== id) return invalid('id', `the body names source ${JSON.stringify(change.id.slice(0, 100))}, the path ${JSON.stringify(id)}; a source's id cannot change`);
      return found(await sources.update(id, sourceInput(change)), `source "${id}"`);
    })
    .on('POST', '/sources/:id/enable', async (_, { id = '' }) => found(await sources.update(id, { enabled: true }), `source "${id}"`))
    .on('POST', '/sources/:id/disable', async (_, { id = '' }) => found(await sources.update(id, { enabled: false }), `source "${id}"`))
    .on('GET', '/profiles/:id', async (_, { id = '' }) => found(await store.getProfile(id), `profile "${id}"`))
    .on('GET', '/profiles/:id/sessions', async (request, { id = '' }) =>
      json(200, { sessions: await store.listSessions(id, limitOf(request)) }),
    )
    .on('GET', '/profiles/:id/events', async (request, { id = '' }) =>
      json(200, { events: await store.listEvents({ profileId: id, limit: limitOf(request) }) }),
    )
    .on('GET', '/sessions/:id', async (_, { id = '' }) => found(await store.getSession(id), `session "${id}"`))
    .on('GET', '/sessions/:id/events', async (request, { id = '' }) =>
      json(200, { events: await store.listEvents({ sessionId: id, limit: limitOf(request) }) }),
    )
    .on('GET', '/events', async (request) => json(200, { events: await store.listEvents({ limit: limitOf(request) }) }))
    .on('GET', '/events/:id', async (_, { id = '' }) => found(await store.getEvent(id), `event "${id}"`))
    .on('GET', '/queue/:namespace/:topic/backlog', async (_, { namespace = '', topic = '' }) =>
      found(await queue.backlog({ namespace, name: topic }), `topic ${namespace}/${topic}`),
    )
    .on('GET', '/dead-letters', listDeadLetters(queue))
    .on('POST', '/dead-letters/replay', replayDeadLetters(queue));
  withDestinationRoutes(router, { definitions: deps.definitions, secrets: deps.secrets, ...(deps.sendWebhook ? { send: deps.sendWebhook } : {}) });
  withRuleRoutes(router, deps.definitions);
  withScheduleRoutes(router, deps.schedule);
  withOpenApiRoutes(router);
  withTraceRoutes(router, { trace: deps.trace, store, ttlSeconds: deps.traceTtlSeconds });
  withBacklogRoutes(router, queue);
  if (deps.metrics) withMetricsRoutes(router, deps.metrics);
  const history = new StatsHistory({ board: deps.stats, intervalMs: deps.statsIntervalMs });
  withStatsRoutes(router, { board: deps.stats, history, intervalMs: deps.statsIntervalMs });
  history.start();
  // The ops console's page, script and style hold no data: served without the token (/console, /console/app.js, /console/app.css).
  const authed = withConsole(requireBearer(deps.token, outagesAs503(router.handle)));
  const handle = (request: HttpRequest): Promise<HttpReply> => (request.path === '/healthz' ? Promise.resolve(json(200, { status: 'ok' })) : authed(request));
  return Object.assign(handle, { close: () => history.close() });
}

function found(value: unknown, what: string): HttpReply {
  return value ? json(200, value) : errorReply(404, 'not_found', `${what} does not exist`);
}

function sourceProblem(error: StructError): HttpReply {
  const { path, message } = structProblem(error);
  return invalid(path, message === 'unknown field' ? `unknown field (a source takes id, name, enabled and allowedOrigins)` : message);
}

function sourceInput(fields: { name?: string | undefined; enabled?: boolean | undefined; allowedOrigins?: string[] | undefined }): SourceInput {
  const input: SourceInput = {};
  if (fields.name !== undefined) input.name = fields.name;
  if (fields.enabled !== undefined) input.enabled = fields.enabled;
  if (fields.allowedOrigins !== undefined) input.allowedOrigins = fields.allowedOrigins;
  return input;
}
