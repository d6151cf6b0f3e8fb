import type { HeaderObject, MediaTypeObject, PathItemObject, ReferenceObject, ResponseObject, SchemaObject } from './openapi-types.js';

/**
 * What the public and the private document share: the error shape every Inflow endpoint
 * answers with (packages/edge/src/http/replies.ts), the headers, the answers the HTTP layer and
 * the router give on their own (404, 405, 408, 413, 500), and small builders.
 */

export const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });
export const responseRef = (name: string): ReferenceObject => ({ $ref: `#/components/responses/${name}` });
const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

export const jsonContent = (schema: SchemaObject): Record<string, MediaTypeObject> => ({ 'application/json': { schema } });

/** An object with exactly these properties (answers the API builds itself: a new field must be documented). */
export function closed(properties: Record<string, SchemaObject>, required: string[] = Object.keys(properties), description?: string): SchemaObject {
  return { type: 'object', ...(description ? { description } : {}), properties, required, additionalProperties: false };
}

/** An object with at least these properties (stored records: the store may keep more). */
export function open(properties: Record<string, SchemaObject>, required: string[], description?: string): SchemaObject {
  return { type: 'object', ...(description ? { description } : {}), properties, required };
}

export const text = (description?: string): SchemaObject => ({ type: 'string', ...(description ? { description } : {}) });
export const dateTime = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', ...(description ? { description } : {}) });
export const count = (description?: string): SchemaObject => ({ type: 'integer', minimum: 0, ...(description ? { description } : {}) });
export const listOf = (items: SchemaObject, description?: string): SchemaObject => ({ type: 'array', items, ...(description ? { description } : {}) });
/** Free-form JSON object (properties, traits, context). */
export const freeForm = (description?: string): SchemaObject => ({ type: 'object', ...(description ? { description } : {}) });

/** Headers every answer carries, plus the ones given. */
export function headers(extra: Record<string, HeaderObject | ReferenceObject> = {}): Record<string, HeaderObject | ReferenceObject> {
  return { 'X-Request-Id': headerRef('XRequestId'), ...extra };
}

export function jsonAnswer(description: string, schema: SchemaObject, extraHeaders: Record<string, HeaderObject | ReferenceObject> = {}): ResponseObject {
  return { description, headers: headers(extraHeaders), content: jsonContent(schema) };
}

export function noContent(description: string): ResponseObject {
  return { description, headers: headers() };
}

export const retryAfter = { 'Retry-After': headerRef('RetryAfter') };
export const etag = { ETag: headerRef('ETag') };

/** The error codes of packages/protocol/src/types.ts (TrackErrorCode). */
export const ERROR_CODES = [
  'malformed_json',
  'invalid_payload',
  'payload_too_large',
  'event_too_large',
  'too_many_events',
  'too_deep',
  'unsupported_media_type',
  'unsupported_encoding',
  'malformed_encoding',
  'unsupported_transfer_encoding',
  'malformed_request',
  'unknown_source',
  'source_disabled',
  'origin_not_allowed',
  'method_not_allowed',
  'malformed_path',
  'not_found',
  'request_timeout',
  'unauthorized',
  'queue_unavailable',
  'service_unavailable',
  'shutting_down',
  'conflict',
  'precondition_failed',
  'internal',
];

export const sharedSchemas: Record<string, SchemaObject> = {
  Error: closed(
    {
      error: closed(
        {
          code: { type: 'string', enum: ERROR_CODES },
          message: text('What is wrong, for people.'),
          path: text('The offending field, e.g. `events.1.type`, when there is one.'),
        },
        ['code', 'message'],
      ),
      rejected: listOf(ref('RejectedEvent'), 'In a 400 to /track where every event was refused on its own: each event\'s problem.'),
    },
    ['error'],
    'Body of every 4xx/5xx answer (packages/protocol ErrorBody).',
  ),
  RejectedEvent: closed(
    {
      index: count('Index into the request\'s `events`.'),
      id: text('The event\'s id, when it sent a usable one.'),
      code: text('An error code (TrackErrorCode).'),
      message: text(),
      path: text('e.g. `events.3.type`'),
    },
    ['index', 'code', 'message'],
    'One event refused alone.',
  ),
  Health: closed({ status: { type: 'string', const: 'ok' } }),
};

export const sharedHeaders: Record<string, HeaderObject> = {
  XRequestId: {
    description: 'The id of this request, on every answer (being added): quote it to find the request in logs and traces.',
    required: true,
    schema: { type: 'string', minLength: 1 },
  },
  RetryAfter: { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
  Allow: { description: 'The methods the path takes.', required: true, schema: { type: 'string' } },
  ETag: { description: 'The definition\'s version, quoted: send it back as If-Match.', required: true, schema: { type: 'string', pattern: '^"[0-9]+"$' } },
  WWWAuthenticate: { description: '`Bearer`', required: true, schema: { type: 'string', const: 'Bearer' } },
};

const errorAnswer = (description: string, extra: Record<string, HeaderObject | ReferenceObject> = {}): ResponseObject => jsonAnswer(description, ref('Error'), extra);

/** Answers the router and the HTTP layer give on their own, whatever the route. */
export const sharedResponses: Record<string, ResponseObject> = {
  NotFound: errorAnswer('No such endpoint (`not_found`), or no such record.'),
  MethodNotAllowed: errorAnswer('The path does not take this method (`method_not_allowed`).', { Allow: headerRef('Allow') }),
  MalformedPath: errorAnswer('A path parameter is not valid percent-encoded UTF-8 (`malformed_path`), e.g. `%ZZ` or an encoded lone surrogate.'),
  RequestTimeout: errorAnswer('The body did not arrive within the deadline (`request_timeout`); the connection is closed.'),
  UnsupportedTransferEncoding: errorAnswer('A Transfer-Encoding other than chunked (`unsupported_transfer_encoding`); the connection is closed.'),
  PayloadTooLarge: errorAnswer('The body is larger than INFLOW_MAX_BODY_BYTES, or a compressed body decodes past it (`payload_too_large`); the connection is closed when the body was too large as sent.'),
  InternalError: errorAnswer('A bug: nothing was accepted (`internal`).'),
};

/** The answers every operation with a request body can get from the HTTP layer before it runs. */
export const bodyLimits: Record<string, ReferenceObject> = { '408': responseRef('RequestTimeout'), '413': responseRef('PayloadTooLarge') };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every operation with what the HTTP layer answers before any route, whatever the path and
 * method: 501 for a Transfer-Encoding other than chunked; and, on a path with parameters, 400
 * for a parameter that does not decode (unless the operation documents a 400 of its own).
 */
export function withHttpLayerAnswers(paths: Record<string, PathItemObject>): Record<string, PathItemObject> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      const withAnswers: PathItemObject = { ...item };
      const malformed: Record<string, ReferenceObject> = path.includes('{') ? { '400': responseRef('MalformedPath') } : {};
      for (const method of METHODS) {
        const operation = item[method];
        if (operation) withAnswers[method] = { ...operation, responses: { ...malformed, ...operation.responses, '501': responseRef('UnsupportedTransferEncoding') } };
      }
      return [path, withAnswers];
    }),
  );
}
