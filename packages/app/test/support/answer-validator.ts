import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HTTP_METHODS, type HeaderObject, type HttpMethod, type OpenApiDocument, type PathItemObject, type ReferenceObject, type ResponseObject, type SchemaObject } from '../../src/openapi/openapi-types.js';

/** One HTTP answer as a test saw it. */
export interface Answer {
  method: string;
  /** The request's path; a query string is ignored. */
  path: string;
  status: number;
  /** The answer's Content-Type header; absent for an answer without a body. */
  contentType?: string | null | undefined;
  /** The body as received (text or bytes; parsed here when JSON), or already parsed JSON. '' or absent: no body. */
  body?: unknown;
  /** When given, the headers the document requires (Retry-After, ETag, X-Request-Id…) are checked too. */
  headers?: HeaderSource | undefined;
}

/** fetch's Headers, or a plain record (node:http's IncomingHttpHeaders). */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface AnswerValidator {
  /** What is wrong with the answer against the document; empty when it matches. */
  check(answer: Answer): string[];
}

export interface ValidatorOptions {
  /**
   * Accept the answers the router and the HTTP layer give on their own where the document has
   * no operation: 404 (components/responses/NotFound) for an unknown path, 405 (MethodNotAllowed)
   * for a method the path does not take, and for either 401 (Unauthorized, when the document
   * requires security), 408 and 413. Their bodies are still checked. Default true.
   */
  routerAnswers?: boolean;
}

const SCHEMA_ID = 'urn:inflow:openapi';
const COMPONENT_SCHEMA = '#/components/schemas/';
const MAX_PROBLEMS = 10;

/** ajv-formats is CommonJS: under NodeNext its default import is the module object, whose `default` is the plugin. */
const addFormats = addFormatsModule.default;

interface Template {
  path: string;
  /** Literal segments as they are; `null` for a `{parameter}` segment. */
  segments: Array<string | null>;
  item: PathItemObject;
}

/**
 * Checks answers against an OpenAPI 3.1 document: the path template and operation, the
 * response of the status (exact, then `4XX`, then `default`), the required headers, the media
 * type, and a JSON body against its schema (ajv, JSON Schema 2020-12). Every schema is compiled
 * once, when the validator is made, so a document with a broken schema fails at once.
 */
export function createAnswerValidator(document: OpenApiDocument, options: ValidatorOptions = {}): AnswerValidator {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SCHEMA_ID, $defs: rewriteRefs(document.components?.schemas ?? {}) as Record<string, unknown> });
  const compiled = new WeakMap<SchemaObject, ValidateFunction>();
  const compile = (schema: SchemaObject): ValidateFunction => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(rewriteRefs(schema) as object);
      compiled.set(schema, validate);
    }
    return validate;
  };

  const templates = Object.entries(document.paths).map(([path, item]) => template(path, item));
  const fallbacks = routerFallbacks(document, options.routerAnswers ?? true);
  // Every response reachable from the document, compiled now.
  for (const { item } of templates) {
    for (const method of HTTP_METHODS) {
      for (const response of Object.values(item[method]?.responses ?? {})) compileResponse(resolveResponse(document, response), compile, document);
    }
  }
  for (const response of [...fallbacks.path.values(), ...fallbacks.method.values()]) compileResponse(response, compile, document);

  return {
    check(answer) {
      const method = answer.method.toLowerCase();
      const path = answer.path.split(/[?#]/, 1)[0] ?? '';
      const where = `${answer.method.toUpperCase()} ${path} → ${answer.status}`;
      const found = matchPath(templates, path);
      let response: ResponseObject | undefined;
      if (!found) {
        response = fallbacks.path.get(answer.status);
        if (!response) return [`${where}: no documented path matches ${path}`];
      } else {
        const operation = isMethod(method) ? found.item[method] : undefined;
        if (!operation) {
          response = fallbacks.method.get(answer.status);
          if (!response) return [`${where}: ${found.path} documents no ${answer.method.toUpperCase()}`];
        } else {
          const responses = operation.responses;
          const documented = responses[String(answer.status)] ?? responses[`${Math.floor(answer.status / 100)}XX`] ?? responses['default'];
          if (!documented) return [`${where}: ${operation.operationId} documents no status ${answer.status} (only ${Object.keys(responses).join(', ')})`];
          response = resolveResponse(document, documented);
        }
      }
      return [...checkHeaders(document, response, answer.headers, compile), ...checkBody(response, answer, compile)].slice(0, MAX_PROBLEMS).map((problem) => `${where}: ${problem}`);
    },
  };
}

function isMethod(method: string): method is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(method);
}

function template(path: string, item: PathItemObject): Template {
  const segments = path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      if (/^\{[^{}]+\}$/.test(segment)) return null;
      if (/[{}]/.test(segment)) throw new Error(`path ${path}: a template parameter must be a whole segment`);
      return segment;
    });
  return { path, segments, item };
}

/**
 * The template matching the path, segment by segment as the router splits it (empty segments
 * dropped, so `/spa/` is `/spa`); of several, the one with a literal segment first wins
 * (`/openapi/public.json` before `/openapi/{name}`).
 */
function matchPath(templates: Template[], path: string): Template | undefined {
  const parts = path.split('/').filter((part) => part.length > 0);
  let best: Template | undefined;
  for (const candidate of templates) {
    if (candidate.segments.length !== parts.length) continue;
    if (!candidate.segments.every((segment, index) => segment === null || segment === parts[index])) continue;
    if (!best || moreLiteral(candidate, best)) best = candidate;
  }
  return best;
}

function moreLiteral(a: Template, b: Template): boolean {
  for (let index = 0; index < a.segments.length; index++) {
    const literalA = a.segments[index] !== null;
    const literalB = b.segments[index] !== null;
    if (literalA !== literalB) return literalA;
  }
  return false;
}

function routerFallbacks(document: OpenApiDocument, enabled: boolean): { path: Map<number, ResponseObject>; method: Map<number, ResponseObject> } {
  const path = new Map<number, ResponseObject>();
  const method = new Map<number, ResponseObject>();
  if (!enabled) return { path, method };
  const named = (name: string): ResponseObject | undefined => document.components?.responses?.[name];
  const add = (map: Map<number, ResponseObject>, status: number, name: string): void => {
    const response = named(name);
    if (response) map.set(status, response);
  };
  for (const map of [path, method]) {
    if ((document.security ?? []).some((requirement) => Object.keys(requirement).length > 0)) add(map, 401, 'Unauthorized');
    add(map, 408, 'RequestTimeout');
    add(map, 413, 'PayloadTooLarge');
  }
  add(path, 404, 'NotFound');
  add(method, 405, 'MethodNotAllowed');
  return { path, method };
}

function resolveResponse(document: OpenApiDocument, response: ResponseObject | ReferenceObject): ResponseObject {
  if (!('$ref' in response)) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  const resolved = document.components?.responses?.[name];
  if (!resolved || name === response.$ref) throw new Error(`unresolved response ${response.$ref}`);
  return resolved;
}

function resolveHeader(document: OpenApiDocument, header: HeaderObject | ReferenceObject): HeaderObject {
  if (!('$ref' in header)) return header;
  const name = header.$ref.replace('#/components/headers/', '');
  const resolved = document.components?.headers?.[name];
  if (!resolved || name === header.$ref) throw new Error(`unresolved header ${header.$ref}`);
  return resolved;
}

function compileResponse(response: ResponseObject, compile: (schema: SchemaObject) => ValidateFunction, document: OpenApiDocument): void {
  for (const media of Object.values(response.content ?? {})) if (media.schema) compile(media.schema);
  for (const header of Object.values(response.headers ?? {})) compile(resolveHeader(document, header).schema);
}

/** `#/components/schemas/X` → the $defs of the schema holding the components, the only references the documents use. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => {
      if (key !== '$ref') return [key, rewriteRefs(inner)];
      if (typeof inner !== 'string' || !inner.startsWith(COMPONENT_SCHEMA)) throw new Error(`unsupported $ref ${String(inner)}`);
      return [key, `${SCHEMA_ID}#/$defs/${inner.slice(COMPONENT_SCHEMA.length)}`];
    }),
  );
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === 'function' && !Array.isArray(headers)) {
    const value = (headers as { get(name: string): string | null }).get(name);
    return value ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(', ') : value;
}

function checkHeaders(
  document: OpenApiDocument,
  response: ResponseObject,
  headers: HeaderSource | undefined,
  compile: (schema: SchemaObject) => ValidateFunction,
): string[] {
  if (!headers) return [];
  const problems: string[] = [];
  for (const [name, declared] of Object.entries(response.headers ?? {})) {
    const header = resolveHeader(document, declared);
    const value = headerValue(headers, name);
    if (value === undefined) {
      if (header.required) problems.push(`header ${name} is required`);
      continue;
    }
    const validate = compile(header.schema);
    if (!validate(value)) problems.push(...describe(validate, `header ${name}`));
  }
  return problems;
}

function checkBody(response: ResponseObject, answer: Answer, compile: (schema: SchemaObject) => ValidateFunction): string[] {
  const content = response.content ?? {};
  const empty = answer.body === undefined || answer.body === null || answer.body === '' || (answer.body instanceof Uint8Array && answer.body.length === 0);
  if (Object.keys(content).length === 0) return empty ? [] : ['the document says no body, but the answer has one'];
  if (!answer.contentType) return ['the answer has no Content-Type; documented: ' + Object.keys(content).join(', ')];
  const key = matchMediaType(Object.keys(content), answer.contentType);
  if (key === undefined) return [`Content-Type ${answer.contentType} is not documented (${Object.keys(content).join(', ')})`];
  const schema = content[key]?.schema;
  if (!isJson(key) || !schema) return [];
  if (empty) return ['the answer has no body; the document says JSON'];
  let value = answer.body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      return [`the body is not JSON: ${(error as Error).message}`];
    }
  }
  const validate = compile(schema);
  return validate(value) ? [] : describe(validate, 'body');
}

function describe(validate: ValidateFunction, what: string): string[] {
  return (validate.errors ?? []).map((error) => {
    const at = `${what}${error.instancePath}`;
    const extra = typeof error.params['additionalProperty'] === 'string' ? ` (${error.params['additionalProperty']})` : '';
    return `${at} ${error.message ?? 'is invalid'}${extra}`;
  });
}

interface MediaType {
  essence: string;
  params: Map<string, string>;
}

function parseMediaType(value: string): MediaType {
  const [essence = '', ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase());
  }
  return { essence: essence.trim().toLowerCase(), params };
}

/**
 * The documented media type the answer's Content-Type is: the same type (or a range such as
 * `text/*`) and every parameter the document names with the same value; the answer may add others.
 */
function matchMediaType(documented: string[], contentType: string): string | undefined {
  const actual = parseMediaType(contentType);
  const ranked = documented
    .map((key) => ({ key, media: parseMediaType(key) }))
    .filter(({ media }) => {
      const [type = '', subtype = ''] = media.essence.split('/');
      const [actualType = ''] = actual.essence.split('/');
      const essence = media.essence === actual.essence || media.essence === '*/*' || (subtype === '*' && type === actualType);
      return essence && [...media.params].every(([name, value]) => actual.params.get(name) === value);
    })
    .sort((a, b) => specificity(b.media) - specificity(a.media));
  return ranked[0]?.key;
}

function specificity(media: MediaType): number {
  return (media.essence.includes('*') ? 0 : 100) + media.params.size;
}

function isJson(mediaType: string): boolean {
  const { essence } = parseMediaType(mediaType);
  return essence === 'application/json' || essence.endsWith('+json');
}
