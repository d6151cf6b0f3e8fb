import { errorReply, type HttpReply, type HttpRequest, json, type RouteHandler, type Router } from '@inflow/edge';
import type { DefinitionProblem } from '@inflow/workers';
import type { DefinitionCatalog, StoredDefinition, WriteOutcome } from './definition-catalog.js';
import { invalid, readBody, type Parsed } from './request-input.js';

/** A definition as the API shows it: the record, and what keeps it from working as meant. */
export type DefinitionView<R> = R & { warnings: DefinitionProblem[] };

/** Checks a definition as written: the spec with defaults, or the first problem with its path. */
export type CheckDefinition<S> = (input: unknown) => { ok: true; spec: S } | { ok: false; problem: DefinitionProblem };

/** One kind of definition on the private API (destinations, rules). */
export interface DefinitionResource<R extends StoredDefinition, S extends { id: string }> {
  /** In messages: `destination "crm" does not exist`. */
  noun: string;
  /** The collection's path segment and the list answer's key: `destinations` → GET /destinations → `{"destinations": [...]}`. */
  plural: string;
  catalog: DefinitionCatalog<R, S>;
  check: CheckDefinition<S>;
  /** Loads what warnings need once per answer (e.g. the destinations that exist), and says them per record. */
  warnings(): Promise<(record: R) => DefinitionProblem[]> | ((record: R) => DefinitionProblem[]);
}

/**
 * The routes every kind of definition has: list, create (409 on an existing id), read (404),
 * replace (If-Match → 412, ETag), delete (204/404). Answers carry `warnings`.
 */
export function withDefinitionRoutes<R extends StoredDefinition, S extends { id: string }>(router: Router, resource: DefinitionResource<R, S>): Router {
  const { catalog, plural } = resource;
  const answer = writtenReply(resource);
  return router
    .on('GET', `/${plural}`, async () => {
      const warnings = await resource.warnings();
      return json(200, { [plural]: (await catalog.list()).map((record) => ({ ...record, warnings: warnings(record) })) });
    })
    .on('POST', `/${plural}`, async (request) => {
      const spec = readDefinition(request, resource.check);
      return spec.ok ? answer(await catalog.create(spec.value), spec.value.id, 201) : spec.reply;
    })
    .on('GET', `/${plural}/:id`, async (_, { id = '' }) => {
      const record = await catalog.get(id);
      return record ? answer({ kind: 'written', record }, id) : notFound(resource.noun, id);
    })
    .on('PUT', `/${plural}/:id`, async (request, { id = '' }) => {
      const ifMatch = readIfMatch(request);
      if (!ifMatch.ok) return ifMatch.reply;
      const spec = readDefinition(request, resource.check, id);
      return spec.ok ? answer(await catalog.replace(id, spec.value, ifMatch.value), id) : spec.reply;
    })
    .on('DELETE', `/${plural}/:id`, async (_, { id = '' }) => ((await catalog.delete(id)) ? { status: 204, body: '' } : notFound(resource.noun, id)));
}

/** POST /{plural}/{id}/{state} (pause, resume, enable, disable): `write` changes the definition, If-Match honoured. */
export function stateRoute<R extends StoredDefinition, S extends { id: string }>(
  resource: DefinitionResource<R, S>,
  write: (id: string, ifMatch: number | undefined) => Promise<WriteOutcome<R>>,
): RouteHandler {
  const answer = writtenReply(resource);
  return async (request, { id = '' }) => {
    const ifMatch = readIfMatch(request);
    return ifMatch.ok ? answer(await write(id, ifMatch.value), id) : ifMatch.reply;
  };
}

/** The record with its warnings and its version as the ETag, or the refusal. */
function writtenReply<R extends StoredDefinition, S extends { id: string }>(resource: DefinitionResource<R, S>) {
  return async (outcome: WriteOutcome<R>, id: string, status = 200): Promise<HttpReply> => {
    if (outcome.kind !== 'written') return refusal(outcome, resource, id);
    const warnings = await resource.warnings();
    const view: DefinitionView<R> = { ...outcome.record, warnings: warnings(outcome.record) };
    return json(status, view, { etag: `"${outcome.record.version}"` });
  };
}

/** The body as a spec; on PUT its id may be left out, and must otherwise be the path's. */
function readDefinition<S>(request: HttpRequest, check: CheckDefinition<S>, pathId?: string): Parsed<S> {
  const body = readBody(request);
  if (!body.ok) return body;
  const input: unknown = body.value;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, reply: invalid('(body)', 'must be a JSON object') };
  let withId = input as Record<string, unknown>;
  if (pathId !== undefined) {
    if (withId['id'] === undefined) withId = { ...withId, id: pathId };
    else if (withId['id'] !== pathId) return { ok: false, reply: invalid('id', `must be "${pathId}" (the id in the path) or left out`) };
  }
  const checked = check(withId);
  return checked.ok ? { ok: true, value: checked.spec } : { ok: false, reply: invalid(checked.problem.path, checked.problem.message) };
}

/** `If-Match: 3` (or the ETag `"3"`): the version the caller read; absent or `*`: any. */
export function readIfMatch(request: HttpRequest): Parsed<number | undefined> {
  const raw = request.headers['if-match']?.trim();
  if (raw === undefined || raw === '' || raw === '*') return { ok: true, value: undefined };
  const version = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw)?.[1];
  if (version === undefined) return { ok: false, reply: invalid('If-Match', `must be a version number such as 3 or "3" (got ${JSON.stringify(raw.slice(0, 40))})`) };
  return { ok: true, value: Number(version) };
}

export function notFound(noun: string, id: string): HttpReply {
  return errorReply(404, 'not_found', `${noun} "${id}" does not exist`);
}

function refusal(outcome: Exclude<WriteOutcome<unknown>, { kind: 'written' }>, { noun, plural }: { noun: string; plural: string }, id: string): HttpReply {
  switch (outcome.kind) {
    case 'not-found':
      return notFound(noun, id);
    case 'exists':
      return errorReply(409, 'conflict', `${noun} "${id}" already exists; change it with PUT /${plural}/${id}`, { path: 'id' });
    case 'stale':
      return errorReply(412, 'precondition_failed', `${noun} "${id}" is at version ${outcome.current}, not ${outcome.expected} (If-Match): read it again and redo the change`, {
        headers: { etag: `"${outcome.current}"` },
      });
    case 'busy':
      return errorReply(409, 'conflict', `${noun} "${id}" changed ${outcome.attempts} times while this write was tried; try again`);
  }
}
