import {
  checkDestination,
  missingSecrets,
  secretEnvName,
  sendWebhook,
  type DefinitionProblem,
  type DefinitionStore,
  type DestinationRecord,
  type DestinationSpec,
  type Secrets,
  type SendWebhook,
} from '@inflow/workers';
import type { HttpReply, HttpRequest } from '../http/http-types.js';
import { errorReply, json } from '../http/replies.js';
import type { Router } from '../http/router.js';
import { DestinationCatalog, type WriteOutcome } from './destination-catalog.js';
import { testDestination } from './destination-test-route.js';
import { invalid, readBody, type Parsed } from './request-input.js';

export interface DestinationRoutesDeps {
  definitions: DefinitionStore;
  /** Secret values by key (config); only the test call reads them, and no answer shows one. */
  secrets: Secrets;
  /** The HTTP port of the test call; the fetch adapter unless a test gives another. */
  send?: SendWebhook;
}

/** A destination as the API shows it: the record, and what keeps it from sending (secrets not configured). */
export type DestinationView = DestinationRecord & { warnings: DefinitionProblem[] };

/**
 * Destinations on the private API: create, list, read, replace (If-Match), delete, pause,
 * resume, and a test call that sends one rendered sample.
 */
export function withDestinationRoutes(router: Router, deps: DestinationRoutesDeps): Router {
  const catalog = new DestinationCatalog(deps.definitions);
  const view = (record: DestinationRecord): DestinationView => ({ ...record, warnings: warningsOf(record, deps.secrets) });
  const answer = (outcome: WriteOutcome, id: string, status = 200): HttpReply =>
    outcome.kind === 'written' ? json(status, view(outcome.record), { etag: `"${outcome.record.version}"` }) : refusal(outcome, id);
  return router
    .on('GET', '/destinations', async () => json(200, { destinations: (await catalog.list()).map(view) }))
    .on('POST', '/destinations', async (request) => {
      const spec = readSpec(request);
      if (!spec.ok) return spec.reply;
      return answer(await catalog.create(spec.value), spec.value.id, 201);
    })
    .on('GET', '/destinations/:id', async (_, { id = '' }) => {
      const record = await catalog.get(id);
      return record ? json(200, view(record), { etag: `"${record.version}"` }) : notFound(id);
    })
    .on('PUT', '/destinations/:id', async (request, { id = '' }) => {
      const ifMatch = readIfMatch(request);
      if (!ifMatch.ok) return ifMatch.reply;
      const spec = readSpec(request, id);
      if (!spec.ok) return spec.reply;
      return answer(await catalog.replace(id, spec.value, ifMatch.value), id);
    })
    .on('DELETE', '/destinations/:id', async (_, { id = '' }) => ((await catalog.delete(id)) ? { status: 204, body: '' } : notFound(id)))
    .on('POST', '/destinations/:id/pause', async (request, { id = '' }) => {
      const ifMatch = readIfMatch(request);
      return ifMatch.ok ? answer(await catalog.setPaused(id, true, ifMatch.value), id) : ifMatch.reply;
    })
    .on('POST', '/destinations/:id/resume', async (request, { id = '' }) => {
      const ifMatch = readIfMatch(request);
      return ifMatch.ok ? answer(await catalog.setPaused(id, false, ifMatch.value), id) : ifMatch.reply;
    })
    .on('POST', '/destinations/:id/test', testDestination(catalog, deps.secrets, deps.send ?? sendWebhook));
}

function warningsOf(spec: DestinationSpec, secrets: Secrets): DefinitionProblem[] {
  return missingSecrets(spec, secrets).map(({ header, secret }) => ({
    path: `webhook.secretHeaders.${header}`,
    message: `secret "${secret}" is not configured (set ${secretEnvName(secret)} where inflow runs); nothing is sent until it is`,
  }));
}

/** The body as a destination spec; on PUT its id may be left out, and must otherwise be the path's. */
function readSpec(request: HttpRequest, pathId?: string): Parsed<DestinationSpec> {
  const body = readBody(request);
  if (!body.ok) return body;
  const input: unknown = body.value;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, reply: invalid('(body)', 'must be a JSON object') };
  let withId = input as Record<string, unknown>;
  if (pathId !== undefined) {
    if (withId['id'] === undefined) withId = { ...withId, id: pathId };
    else if (withId['id'] !== pathId) return { ok: false, reply: invalid('id', `must be "${pathId}" (the id in the path) or left out`) };
  }
  const checked = checkDestination(withId);
  return checked.ok ? { ok: true, value: checked.spec } : { ok: false, reply: invalid(checked.problem.path, checked.problem.message) };
}

/** `If-Match: 3` (or the ETag `"3"`): the version the caller read; absent or `*`: any. */
function readIfMatch(request: HttpRequest): Parsed<number | undefined> {
  const raw = request.headers['if-match']?.trim();
  if (raw === undefined || raw === '' || raw === '*') return { ok: true, value: undefined };
  const version = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw)?.[1];
  if (version === undefined) return { ok: false, reply: invalid('If-Match', `must be a version number such as 3 or "3" (got ${JSON.stringify(raw.slice(0, 40))})`) };
  return { ok: true, value: Number(version) };
}

function notFound(id: string): HttpReply {
  return errorReply(404, 'not_found', `destination "${id}" does not exist`);
}

function refusal(outcome: Exclude<WriteOutcome, { kind: 'written' }>, id: string): HttpReply {
  switch (outcome.kind) {
    case 'not-found':
      return notFound(id);
    case 'exists':
      return errorReply(409, 'conflict', `destination "${id}" already exists; change it with PUT /destinations/${id}`, { path: 'id' });
    case 'stale':
      return errorReply(412, 'precondition_failed', `destination "${id}" is at version ${outcome.current}, not ${outcome.expected} (If-Match): read it again and redo the change`, {
        headers: { etag: `"${outcome.current}"` },
      });
    case 'busy':
      return errorReply(409, 'conflict', `destination "${id}" changed ${outcome.attempts} times while this write was tried; try again`);
  }
}
