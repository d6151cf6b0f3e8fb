import { bodyLimits, headers, withHttpLayerAnswers, jsonAnswer, jsonContent, ref, responseRef, retryAfter, sharedHeaders, sharedResponses } from './document-parts.js';
import type { HeaderObject, OpenApiDocument, OperationObject, PathItemObject, ResponseObject } from './openapi-types.js';
import { publicSchemas } from './public-schemas.js';

/**
 * The public port (INFLOW_PUBLIC_PORT, 8686): POST /track, the Segment-compatible /v1 API,
 * health and readiness, the demo shop's read route and its static files.
 * Sources: packages/edge/src/{public-api,track,segment,http}, packages/app/src/demo.
 */

const cors: Record<string, HeaderObject> = {
  'Access-Control-Allow-Origin': { description: 'The request\'s Origin, echoed when a source allows it (never `*`).', schema: { type: 'string' } },
  'Access-Control-Allow-Credentials': { schema: { type: 'string', const: 'true' } },
  'Access-Control-Expose-Headers': { schema: { type: 'string' } },
  Vary: { schema: { type: 'string' } },
};

const withCors = (response: ResponseObject): ResponseObject => ({ ...response, headers: { ...response.headers, ...cors } });
const error = (description: string, extra: Record<string, HeaderObject | { $ref: string }> = {}): ResponseObject =>
  withCors(jsonAnswer(description, ref('Error'), extra));
const segmentError = (description: string, extra: Record<string, HeaderObject | { $ref: string }> = {}): ResponseObject =>
  withCors(jsonAnswer(description, ref('SegmentError'), extra));

const preflight = (operationId: string, tag: string, errorSchema: 'Error' | 'SegmentError'): OperationObject => ({
  operationId,
  summary: 'CORS preflight',
  tags: [tag],
  description: 'Any origin an enabled source allows; the asked-for headers are allowed, for a day.',
  responses: {
    '204': {
      description: 'Allowed.',
      headers: headers({
        ...cors,
        'Access-Control-Allow-Origin': { required: true, schema: { type: 'string' } },
        'Access-Control-Allow-Methods': { required: true, schema: { type: 'string', const: 'POST, OPTIONS' } },
        'Access-Control-Allow-Headers': { required: true, schema: { type: 'string' } },
        'Access-Control-Max-Age': { required: true, schema: { type: 'string', const: '86400' } },
      }),
    },
    '400': jsonAnswer('No Origin header.', ref(errorSchema)),
    '403': jsonAnswer('No enabled source allows the origin (`origin_not_allowed`); no CORS headers.', ref(errorSchema)),
    '500': responseRef('InternalError'),
    '503': jsonAnswer('The list of sources cannot be read now (`service_unavailable`: its store is unreachable and no list was read a moment ago); no CORS headers.', ref(errorSchema), retryAfter),
  },
});

const track: PathItemObject = {
  post: {
    operationId: 'track',
    summary: 'Send events',
    tags: ['track'],
    description:
      'Checks the body and the source, gives every profile, session and event an id, then processes the request in place (200) or queues it (`options.queue`, 201). ' +
      'A body without a content type is read as JSON; a body may be compressed (`Content-Encoding: gzip`, `deflate` or `br`), and is then limited by its decoded size. CORS headers are sent to an origin the source allows, on errors too.',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: ref('TrackRequest') }, 'text/plain': { schema: ref('TrackRequest') } },
    },
    responses: {
      '200': withCors(jsonAnswer('Processed in place: profile, session and events stored.', ref('TrackProcessed'))),
      '201': withCors(jsonAnswer('Queued: the queue confirmed the request; the collector stores it moments later.', ref('TrackQueued'))),
      '400': error(
        'Malformed JSON or not UTF-8 (`malformed_json`), a compressed body that does not decode (`malformed_encoding`), nesting deeper than 16 outside the events, or a body past 64 (`too_deep`; an event nested past 16 levels is refused alone), too many events (`too_many_events`), a schema or content problem (`invalid_payload` with `path`), every event refused (`rejected` lists them), or the store refused the request.',
      ),
      '403': error('Unknown source (`unknown_source`), disabled source (`source_disabled`), or origin not allowed (`origin_not_allowed`, then without CORS headers).'),
      ...bodyLimits,
      '415': error('A content type other than application/json or text/plain (`unsupported_media_type`), or a content encoding other than gzip, deflate or br (`unsupported_encoding`).'),
      '500': responseRef('InternalError'),
      '503': error(
        'The queue (or, in place, the store) cannot take the request now (`queue_unavailable`), the source cannot be checked (`service_unavailable`: its store is unreachable and it was not known a moment ago), or the edge is shutting down (`shutting_down`): nothing was accepted.',
        retryAfter,
      ),
    },
  },
  options: preflight('trackPreflight', 'track', 'Error'),
};

/** Segment's paths (packages/edge/src/segment/segment-routes.ts): the call each takes, and its operation id. */
const SEGMENT_PATHS: Array<[path: string, call: string, operationId: string]> = [
  ['/v1/batch', 'batch', 'segmentBatch'],
  ['/v1/import', 'batch', 'segmentImport'],
  ['/v1/b', 'batch', 'segmentB'],
  ['/v1/track', 'track', 'segmentTrack'],
  ['/v1/t', 'track', 'segmentT'],
  ['/v1/identify', 'identify', 'segmentIdentify'],
  ['/v1/i', 'identify', 'segmentI'],
  ['/v1/page', 'page', 'segmentPage'],
  ['/v1/p', 'page', 'segmentP'],
  ['/v1/screen', 'screen', 'segmentScreen'],
  ['/v1/s', 'screen', 'segmentS'],
  ['/v1/group', 'group', 'segmentGroup'],
  ['/v1/g', 'group', 'segmentG'],
  ['/v1/alias', 'alias', 'segmentAlias'],
  ['/v1/a', 'alias', 'segmentA'],
];

function segmentPath(call: string, operationId: string): PathItemObject {
  const batch = call === 'batch';
  const body = batch ? ref('SegmentBatch') : ref('SegmentMessage');
  return {
    post: {
      operationId,
      summary: batch ? 'Segment batch' : `Segment ${call} call`,
      tags: ['segment'],
      description:
        'The write key (a source id) comes as the user name of HTTP Basic auth or as `writeKey` in the body. Each message is queued as one event; `Content-Encoding: gzip` is read.',
      security: [{ writeKey: [] }, {}],
      requestBody: { required: true, content: { 'application/json': { schema: body }, '*/*': { schema: body } } },
      responses: {
        '200': withCors(
          jsonAnswer(batch ? 'The queue has every message that could be taken; those refused alone are in `rejected`.' : 'The queue has the message.', ref('SegmentSuccess')),
        ),
        '400': segmentError(
          batch
            ? 'Malformed JSON or gzip, a body nested past 64 levels (`too_deep`), not a batch, a batch `context` that would add over 1 MB to its messages or more than 5,000 messages (`batch_too_large`) or nests past 15 levels (`too_deep` with path `context`), or no message of it can be taken (the first one\'s problem: `invalid_message` with `path`, `message_too_large`, `too_deep`): nothing was queued.'
            : 'Malformed JSON or gzip, too deep, an invalid message (`invalid_message` with `path`), or over 32 KB (`message_too_large`): nothing was queued.',
        ),
        '401': segmentError('No write key (`missing_write_key`) or one that names no source (`invalid_write_key`).'),
        '403': segmentError('Disabled source (`source_disabled`) or origin not allowed (`origin_not_allowed`, then without CORS headers).'),
        '408': responseRef('RequestTimeout'),
        '413': withCors({
          description: 'The body is over INFLOW_MAX_BODY_BYTES (the HTTP layer\'s error shape), or a gzip body inflates past the limit (Segment\'s).',
          headers: headers(),
          content: jsonContent({ anyOf: [ref('Error'), ref('SegmentError')] }),
        }),
        '415': segmentError('A content encoding other than gzip (`unsupported_encoding`). The media type is not looked at: the body is read as JSON.'),
        '500': responseRef('InternalError'),
        '503': segmentError(
          'The queue cannot take the messages (`queue_unavailable`), the write key cannot be checked (`service_unavailable`), or the edge is shutting down: retry (redelivered messages are stored once).',
          retryAfter,
        ),
      },
    },
    options: preflight(`${operationId}Preflight`, 'segment', 'SegmentError'),
  };
}

const health: Record<string, PathItemObject> = {
  '/healthz': { get: { operationId: 'healthz', summary: 'Liveness', tags: ['health'], responses: { '200': jsonAnswer('Alive.', ref('Health')), '500': responseRef('InternalError') } } },
  '/readyz': {
    get: {
      operationId: 'readyz',
      summary: 'Readiness',
      tags: ['health'],
      responses: {
        '200': jsonAnswer('Ready.', ref('Readiness')),
        '500': responseRef('InternalError'),
        '503': jsonAnswer('Starting, shutting down (after SIGTERM) or the queue is unreachable.', ref('Readiness'), retryAfter),
      },
    },
  },
};

const page = (operationId: string, summary: string, types: string[] = ['text/html; charset=utf-8']): PathItemObject => ({
  get: {
    operationId,
    summary,
    tags: ['demo'],
    responses: {
      '200': { description: 'The file (served while INFLOW_SERVE_DEMO is on and the demo is built; 404 otherwise).', headers: headers(), content: Object.fromEntries(types.map((type) => [type, {}])) },
      '404': responseRef('NotFound'),
      '500': responseRef('InternalError'),
    },
  },
});

const demo: Record<string, PathItemObject> = {
  '/demo/profile': {
    get: {
      operationId: 'demoProfile',
      summary: 'The demo visitor\'s own profile',
      tags: ['demo'],
      description:
        'The profile named by the caller\'s own `inflow_pid` cookie (a tracker-made UUID), demo source only, with its last sessions and events. Served while the demo is (404 otherwise).',
      parameters: [{ name: 'inflow_pid', in: 'cookie', required: false, schema: { type: 'string' } }],
      responses: { '200': jsonAnswer('What the live panel shows.', ref('DemoProfile')), '404': responseRef('NotFound'), '500': responseRef('InternalError') },
    },
  },
  '/': page('demoShop', 'The demo shop'),
  '/index.html': page('demoShopIndex', 'The demo shop'),
  '/cart': page('demoShopCart', 'The demo shop (its cart route)'),
  '/checkout': page('demoShopCheckout', 'The demo shop (its checkout route)'),
  '/products/{product}': page('demoShopProduct', 'The demo shop (a product route)'),
  '/orders/{order}': page('demoShopOrder', 'The demo shop (an order route)'),
  '/shop/{asset}': page('demoShopAsset', 'The demo shop\'s styles and scripts', ['text/css', 'text/javascript; charset=utf-8']),
  '/inflow.min.js': page('trackerScript', 'The tracker (script tag build)', ['text/javascript; charset=utf-8']),
  '/inflow.page-views.min.js': page('trackerPageViewsAddOn', 'The tracker\'s page-views add-on (script tag: page views on load and on route changes)', ['text/javascript; charset=utf-8']),
  '/spa/': page('spaExample', 'The SPA example'),
  '/spa/{page}': page('spaExamplePage', 'The SPA example (its routes)'),
  '/spa/dist/app.js': page('spaExampleScript', 'The SPA example\'s script', ['text/javascript; charset=utf-8']),
};

function withPathParameters(paths: Record<string, PathItemObject>): Record<string, PathItemObject> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
      return [path, names.length === 0 ? item : { ...item, parameters: names.map((name) => ({ name, in: 'path' as const, required: true, schema: { type: 'string' as const } })) }];
    }),
  );
}

export const publicDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Inflow public API',
    version: '1',
    description:
      'The ingestion edge (INFLOW_PUBLIC_PORT, 8686). Every path also answers 404 `not_found` for an unknown path and 405 `method_not_allowed` (with Allow) for a method it does not take: components/responses NotFound and MethodNotAllowed. Every answer carries X-Request-Id.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: 'http://127.0.0.1:8686', description: 'npm start' }],
  tags: [
    { name: 'track', description: 'The Tracardi-compatible /track endpoint.' },
    { name: 'segment', description: 'Segment\'s HTTP Tracking API (analytics.js, analytics-node).' },
    { name: 'health' },
    { name: 'demo', description: 'The demo shop (INFLOW_SERVE_DEMO).' },
  ],
  paths: withHttpLayerAnswers(withPathParameters({
    '/track': track,
    ...Object.fromEntries(SEGMENT_PATHS.map(([path, call, operationId]) => [path, segmentPath(call, operationId)])),
    ...health,
    ...demo,
  })),
  components: {
    schemas: publicSchemas,
    responses: sharedResponses,
    headers: sharedHeaders,
    securitySchemes: {
      writeKey: { type: 'http', scheme: 'basic', description: 'The write key (a source id) as the user name, with an empty password.' },
    },
  },
};
