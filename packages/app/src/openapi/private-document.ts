import { bodyLimits, etag, withHttpLayerAnswers, jsonAnswer, jsonContent, noContent, ref, responseRef, retryAfter, sharedHeaders, sharedResponses } from './document-parts.js';
import type { OpenApiDocument, OperationObject, ParameterObject, PathItemObject, ReferenceObject, ResponseObject } from './openapi-types.js';
import { privateSchemas } from './private-schemas.js';

/**
 * The private port (INFLOW_PRIVATE_PORT, 8687, loopback by default). Every path but /healthz
 * needs `Authorization: Bearer <token>`, checked before routing: without it any path answers
 * 401, known or not. Sources: packages/app/src/private-api/*.
 */

type Responses = Record<string, ResponseObject | ReferenceObject>;

interface Spec {
  summary: string;
  tag: string;
  responses: Responses;
  description?: string;
  parameters?: Array<ParameterObject | ReferenceObject>;
  body?: string;
}

/**
 * One operation: the bearer's 401, the 503 of a service behind it that cannot be reached now
 * (unless the operation says its own), and the 500 of a bug on every one; the body limits where
 * a body is taken.
 */
function op(operationId: string, spec: Spec, takesBody: boolean): OperationObject {
  return {
    operationId,
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.body ? { requestBody: { required: false, content: jsonContent(ref(spec.body)) } } : {}),
    responses: { '503': responseRef('ServiceUnavailable'), ...spec.responses, '401': responseRef('Unauthorized'), ...(takesBody ? bodyLimits : {}), '500': responseRef('InternalError') },
  };
}

const get = (operationId: string, spec: Spec): OperationObject => op(operationId, spec, false);
const del = get;
const write = (operationId: string, spec: Spec): OperationObject => op(operationId, spec, true);

const ok = (schema: string, description = 'OK.'): ResponseObject => jsonAnswer(description, ref(schema));
const error = (description: string): ResponseObject => jsonAnswer(description, ref('Error'));
const notFound = (what: string): ResponseObject => error(`No such ${what} (\`not_found\`).`);
const limit: ParameterObject = {
  name: 'limit',
  in: 'query',
  description: 'How many, newest first: 50 when absent or not a positive integer, at most 1000.',
  schema: { type: 'string' },
};
const ifMatch: ParameterObject = {
  name: 'If-Match',
  in: 'header',
  description: 'The version read (`3` or the ETag `"3"`); absent or `*`: any. A write over another version is refused with 412.',
  schema: { type: 'string' },
};
const badBody = (what: string): ResponseObject => error(`Malformed JSON (\`malformed_json\`) or a bad ${what} (\`invalid_payload\` with \`path\`).`);

const sources: Record<string, PathItemObject> = {
  '/sources': {
    get: get('listSources', { summary: 'List sources', tag: 'sources', responses: { '200': ok('Sources') } }),
    post: write('createSource', {
      summary: 'Create a source',
      tag: 'sources',
      body: 'NewSource',
      responses: { '201': ok('Source', 'Created.'), '400': badBody('field'), '409': error('The id exists (`conflict`).') },
    }),
  },
  '/sources/{id}': {
    get: get('getSource', { summary: 'Read a source', tag: 'sources', responses: { '200': ok('Source'), '404': notFound('source') } }),
    patch: write('updateSource', {
      summary: 'Change a source',
      tag: 'sources',
      body: 'SourceFields',
      responses: { '200': ok('Source'), '400': badBody('field'), '404': notFound('source') },
    }),
  },
  '/sources/{id}/enable': { post: write('enableSource', { summary: 'Enable a source', tag: 'sources', responses: { '200': ok('Source'), '404': notFound('source') } }) },
  '/sources/{id}/disable': { post: write('disableSource', { summary: 'Disable a source', tag: 'sources', responses: { '200': ok('Source'), '404': notFound('source') } }) },
};

const trace = (operationId: string, what: string, parameters: ParameterObject[] = []): OperationObject =>
  get(operationId, {
    summary: `What happened to ${what}, stage by stage`,
    tag: 'traces',
    description: 'Entries are kept traceTtlSeconds (15 minutes by default); the 404 says so.',
    parameters,
    responses: {
      '200': ok('Trace'),
      '404': error(`Nothing is known of ${what} (\`not_found\`).`),
      '503': jsonAnswer('The trace (Redis) cannot be read now (`service_unavailable`).', ref('Error'), retryAfter),
    },
  });

const records: Record<string, PathItemObject> = {
  '/profiles/{id}': { get: get('getProfile', { summary: 'Read a profile', tag: 'records', responses: { '200': ok('Profile'), '404': notFound('profile') } }) },
  '/profiles/{id}/sessions': {
    get: get('listProfileSessions', { summary: 'A profile\'s sessions', tag: 'records', parameters: [limit], responses: { '200': ok('Sessions') } }),
  },
  '/profiles/{id}/events': {
    get: get('listProfileEvents', { summary: 'A profile\'s events', tag: 'records', parameters: [limit], responses: { '200': ok('Events') } }),
  },
  '/profiles/{id}/trace': { get: trace('traceProfile', 'a profile', [limit]) },
  '/sessions/{id}': { get: get('getSession', { summary: 'Read a session', tag: 'records', responses: { '200': ok('Session'), '404': notFound('session') } }) },
  '/sessions/{id}/events': {
    get: get('listSessionEvents', { summary: 'A session\'s events', tag: 'records', parameters: [limit], responses: { '200': ok('Events') } }),
  },
  '/events': { get: get('listEvents', { summary: 'The latest events', tag: 'records', parameters: [limit], responses: { '200': ok('Events') } }) },
  '/events/{id}': { get: get('getEvent', { summary: 'Read an event (the newest with the id, should two profiles have used it)', tag: 'records', responses: { '200': ok('Event'), '404': notFound('event') } }) },
  '/events/{id}/trace': { get: trace('traceEvent', 'an event') },
  '/requests/{id}/trace': { get: trace('traceRequest', 'a request (its X-Request-Id, or an event\'s requestId)') },
};

const queue: Record<string, PathItemObject> = {
  '/queue/{namespace}/{topic}/backlog': {
    get: get('getBacklog', {
      summary: 'Unprocessed messages of a topic',
      tag: 'queue',
      description: 'The collector\'s topic is `collector/payloads` (one message carries a batch of requests).',
      responses: { '200': ok('TopicBacklog'), '404': notFound('topic') },
    }),
  },
  '/backlog': {
    get: get('listBacklogs', {
      summary: 'Every topic\'s backlog and dead letters',
      tag: 'queue',
      description: 'The collector\'s, the workflow\'s and each destination\'s topic, as /queue/{namespace}/{topic}/backlog answers one.',
      responses: { '200': ok('Backlogs'), '503': jsonAnswer('The queue did not list its topics (`queue_unavailable`).', ref('Error'), retryAfter) },
    }),
  },
  '/dead-letters': {
    get: get('listDeadLetters', { summary: 'Requests and deliveries that could not be processed', tag: 'queue', parameters: [limit], responses: { '200': ok('DeadLetters') } }),
  },
  '/dead-letters/replay': {
    post: write('replayDeadLetters', {
      summary: 'Send dead letters back to their topics',
      tag: 'queue',
      body: 'ReplaySelection',
      responses: {
        '200': ok('DeadLetterReplay'),
        '400': badBody('selection'),
        '503': jsonAnswer('The queue cannot take them now (`queue_unavailable`).', ref('Error'), retryAfter),
      },
    }),
  },
};

/** The routes destinations and rules share (packages/app/src/private-api/definition-routes.ts). */
function definitionPaths(plural: string, noun: string, input: string, record: string, list: string, states: string[]): Record<string, PathItemObject> {
  const tag = plural;
  const capital = noun.charAt(0).toUpperCase() + noun.slice(1);
  const written = (description = 'OK.'): ResponseObject => jsonAnswer(description, ref(record), etag);
  const missing = notFound(noun);
  const busy = error(`Changed again and again while this write was tried (\`conflict\`): try again.`);
  const stale = jsonAnswer(`If-Match named another version (\`precondition_failed\`); the ETag is the current one.`, ref('Error'), etag);
  const badIfMatch = error('Not a version in If-Match (`invalid_payload`, path `If-Match`).');
  const paths: Record<string, PathItemObject> = {
    [`/${plural}`]: {
      get: get(`list${capital}s`, { summary: `List ${plural}`, tag, responses: { '200': ok(list) } }),
      post: write(`create${capital}`, {
        summary: `Create a ${noun}`,
        tag,
        body: input,
        responses: { '201': written('Created.'), '400': badBody('definition'), '409': error('The id exists (`conflict`, path `id`).') },
      }),
    },
    [`/${plural}/{id}`]: {
      get: get(`get${capital}`, { summary: `Read a ${noun}`, tag, responses: { '200': written(), '404': missing } }),
      put: write(`replace${capital}`, {
        summary: `Replace a ${noun}`,
        tag,
        body: input,
        parameters: [ifMatch],
        responses: { '200': written(), '400': badBody('definition or If-Match'), '404': missing, '409': busy, '412': stale },
      }),
      delete: del(`delete${capital}`, { summary: `Delete a ${noun}`, tag, responses: { '204': noContent('Deleted.'), '404': missing } }),
    },
  };
  for (const state of states) {
    paths[`/${plural}/{id}/${state}`] = {
      post: write(`${state}${capital}`, {
        summary: `${state.charAt(0).toUpperCase() + state.slice(1)} a ${noun}`,
        tag,
        description: 'Answered as it is, unwritten, when already in that state.',
        parameters: [ifMatch],
        responses: { '200': written(), '400': badIfMatch, '404': missing, '409': busy, '412': stale },
      }),
    };
  }
  return paths;
}

const destinations: Record<string, PathItemObject> = {
  ...definitionPaths('destinations', 'destination', 'DestinationInput', 'Destination', 'Destinations', ['pause', 'resume']),
  '/destinations/{id}/test': {
    post: write('testDestination', {
      summary: 'Send one rendered sample',
      tag: 'destinations',
      description: 'A receiver that cannot be reached is an outcome (`network`, `timeout`), not an error.',
      body: 'DestinationTest',
      responses: {
        '200': ok('DestinationTestAnswer'),
        '400': error('A bad sample, a secret that is not configured (path `webhook.secretHeaders.<header>`), or a mapping that does not compile.'),
        '404': notFound('destination'),
      },
    }),
  },
};

const rules = definitionPaths('rules', 'rule', 'RuleInput', 'Rule', 'Rules', ['enable', 'disable']);

const schedules: Record<string, PathItemObject> = {
  '/schedules': {
    get: get('listSchedules', {
      summary: 'Delayed rule runs waiting',
      tag: 'rules',
      parameters: [limit, { name: 'profile', in: 'query', description: 'Only this profile\'s.', schema: { type: 'string' } }],
      responses: { '200': ok('Schedules') },
    }),
  },
  '/schedules/{id}': {
    delete: del('cancelSchedule', { summary: 'Cancel a delayed run', tag: 'rules', responses: { '204': noContent('Cancelled: it will not run.'), '404': notFound('delayed run') } }),
  },
};

/** A file of the ops console: served without the token, like /healthz. */
function consolePart(operationId: string, summary: string, type: string): PathItemObject {
  return { get: { operationId, summary, tags: ['operations'], security: [], responses: { '200': { description: 'The file.', content: { [type]: {} } }, '500': responseRef('InternalError') } } };
}

const operations: Record<string, PathItemObject> = {
  '/metrics': {
    get: get('metrics', {
      summary: 'Prometheus metrics',
      tag: 'operations',
      description: 'The text exposition format 0.0.4: this process\'s metrics (every role also serves them without a token on its health port, INFLOW_HEALTH_PORT).',
      responses: { '200': { description: 'Metrics.', headers: { 'X-Request-Id': { $ref: '#/components/headers/XRequestId' } }, content: { 'text/plain; version=0.0.4': {} } } },
    }),
  },
  '/stats': {
    get: get('stats', {
      summary: 'Every live instance\'s counters, summed and balanced, with 15 minutes of rates',
      tag: 'operations',
      responses: { '200': ok('Stats'), '503': jsonAnswer('The stats board (Redis) cannot be read now (`service_unavailable`).', ref('Error'), retryAfter) },
    }),
  },
  '/openapi/public.json': {
    get: get('publicDocument', { summary: 'This API\'s public twin, as OpenAPI 3.1', tag: 'operations', responses: { '200': ok('OpenApiDocument') } }),
  },
  '/openapi/private.json': {
    get: get('privateDocument', { summary: 'This document', tag: 'operations', responses: { '200': ok('OpenApiDocument') } }),
  },
  '/console': consolePart('console', 'The ops console (no token needed: the page holds no data and asks for the token)', 'text/html; charset=utf-8'),
  '/console/app.js': consolePart('consoleScript', 'The ops console\'s script', 'text/javascript; charset=utf-8'),
  '/console/app.css': consolePart('consoleStyle', 'The ops console\'s style', 'text/css; charset=utf-8'),
  '/healthz': {
    get: {
      operationId: 'privateHealthz',
      summary: 'Liveness (no token needed)',
      tags: ['operations'],
      security: [],
      responses: { '200': ok('Health'), '500': responseRef('InternalError') },
    },
  },
};

const idParameter: ParameterObject = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

function withPathParameters(paths: Record<string, PathItemObject>): Record<string, PathItemObject> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
      const parameters = names.map((name): ParameterObject => (name === 'id' ? idParameter : { name, in: 'path', required: true, schema: { type: 'string' } }));
      return [path, parameters.length === 0 ? item : { ...item, parameters }];
    }),
  );
}

export const privateDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Inflow private API',
    version: '1',
    description:
      'Sources, stored records, traces, the queue\'s backlog and dead letters, destinations, rules and their schedules, metrics. ' +
      'Every path also answers 401 without the bearer token (before routing), 404 `not_found` for an unknown path and 405 `method_not_allowed` (with Allow) for a method it does not take. ' +
      'Every answer carries X-Request-Id.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: 'http://127.0.0.1:8687', description: 'npm start (token in .inflow-data/api-token)' }],
  tags: [
    { name: 'sources' },
    { name: 'records', description: 'Profiles, sessions and events as stored.' },
    { name: 'traces', description: 'What happened to an event, a request or a profile, stage by stage.' },
    { name: 'queue' },
    { name: 'destinations' },
    { name: 'rules' },
    { name: 'operations' },
  ],
  security: [{ bearer: [] }],
  paths: withHttpLayerAnswers(withPathParameters({ ...sources, ...records, ...queue, ...destinations, ...rules, ...schedules, ...operations })),
  components: {
    schemas: privateSchemas,
    responses: {
      ...sharedResponses,
      Unauthorized: jsonAnswer('Missing or wrong bearer token (`unauthorized`).', ref('Error'), { 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } }),
      ServiceUnavailable: jsonAnswer(
        'A service the answer needs cannot be reached now: the queue (`queue_unavailable`), the store or the cache (`service_unavailable`). Retry after Retry-After.',
        ref('Error'),
        retryAfter,
      ),
    },
    headers: sharedHeaders,
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token in .inflow-data/api-token, or INFLOW_API_TOKEN.' } },
  },
};
