import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { errorReply, methodNotAllowed, readTrackBody, type HttpReply, type HttpRequest } from '@inflow/edge';
import { createAnswerValidator, type Answer } from './support/answer-validator.js';
import { HTTP_METHODS, type OpenApiDocument } from '../src/openapi/openapi-types.js';
import { privateDocument } from '../src/openapi/private-document.js';
import { publicDocument } from '../src/openapi/public-document.js';

const DOCUMENTS: Array<[string, OpenApiDocument]> = [
  ['public', publicDocument],
  ['private', privateDocument],
];

const JSON_TYPE = 'application/json';
const AT = '2026-11-29T16:00:00.000Z';

const publicApi = createAnswerValidator(publicDocument);
const privateApi = createAnswerValidator(privateDocument);

/** A JSON answer as a test helper would pass it: the raw text. */
const answer = (method: string, path: string, status: number, body: unknown, extra: Partial<Answer> = {}): Answer => ({
  method,
  path,
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify(body),
  ...extra,
});

/** A reply built by the edge's own code, as the server would send it. */
const fromReply = (method: string, path: string, reply: HttpReply): Answer => ({
  method,
  path,
  status: reply.status,
  contentType: reply.headers?.['content-type'],
  body: reply.body.toString(),
  headers: { 'x-request-id': 'r-1', ...reply.headers },
});

const trackRequest = (body: string, contentType = JSON_TYPE): HttpRequest => ({
  method: 'POST',
  path: '/track',
  query: '',
  headers: { 'content-type': contentType },
  body: Buffer.from(body),
  remoteAddress: '127.0.0.1',
});

describe('the OpenAPI documents', () => {
  it.each(DOCUMENTS)('the %s document is valid OpenAPI 3.1', async (_, document) => {
    const result = await new Validator().validate(JSON.parse(JSON.stringify(document)) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it.each(DOCUMENTS)('the %s document is plain JSON, with unique operation ids and every path parameter declared', (_, document) => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
    const ids: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      const declared = (item.parameters ?? []).flatMap((parameter) => ('name' in parameter ? [parameter.name] : []));
      expect(declared.sort(), path).toEqual(names.sort());
      for (const method of HTTP_METHODS) if (item[method]) ids.push(item[method].operationId);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('the answer validator on the public API', () => {
  it('accepts /track answers processed and queued', () => {
    expect(publicApi.check(answer('POST', '/track', 200, { queued: false, profile: { id: 'jane' }, session: { id: 's-1' }, events: ['e-1'] }))).toEqual([]);
    expect(publicApi.check(answer('POST', '/track', 201, { queued: true, profile: null, session: { id: 's-1' }, events: ['e-1'] }))).toEqual([]);
    const partial = {
      queued: true,
      profile: { id: 'jane' },
      session: { id: 's-1' },
      events: ['e-2'],
      rejected: [{ index: 0, code: 'invalid_payload', message: 'events.0.type is required', path: 'events.0.type' }],
    };
    expect(publicApi.check(answer('POST', '/track', 201, partial))).toEqual([]);
  });

  it('refuses a wrong status, a wrong field type and a value the answer cannot have', () => {
    expect(publicApi.check(answer('POST', '/track', 202, { queued: true }))).toEqual([
      'POST /track → 202: track documents no status 202 (only 200, 201, 400, 403, 408, 413, 415, 500, 501, 503)',
    ]);
    const problems = publicApi.check(answer('POST', '/track', 200, { queued: false, profile: { id: 'jane' }, session: { id: 's-1' }, events: 'e-1' }));
    expect(problems).toContain('POST /track → 200: body/events must be array');
    // A processed answer always names the profile, and is never queued.
    expect(publicApi.check(answer('POST', '/track', 200, { queued: true, profile: null, session: { id: 's' }, events: [] }))).not.toEqual([]);
    expect(publicApi.check(answer('POST', '/track', 400, { error: { code: 'bogus', message: 'x' } }))[0]).toMatch(/body\/error\/code must be equal to one of the allowed values/);
    expect(publicApi.check(answer('POST', '/track', 200, { queued: false, profile: { id: 'j' }, session: { id: 's' }, events: [], extra: 1 }))).toEqual([
      'POST /track → 200: body must NOT have additional properties (extra)',
    ]);
  });

  it('accepts the 4xx answers the edge builds for /track bodies', () => {
    const cases: Array<[string, string]> = [
      ['{', JSON_TYPE],
      ['{"source":{"id":"demo"},"events":[{"type":""}]}', JSON_TYPE],
      ['{"source":{},"events":[]}', 'text/plain'],
      ['[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]', JSON_TYPE],
      ['{}', 'application/xml'],
    ];
    for (const [body, type] of cases) {
      const read = readTrackBody(trackRequest(body, type), { maxEvents: 100, maxEventBytes: 65_536 });
      expect(read.ok, body).toBe(false);
      if (!read.ok) expect(publicApi.check(fromReply('POST', '/track', read.reply)), body).toEqual([]);
    }
  });

  it('checks required headers when given: Retry-After on a 503, X-Request-Id everywhere', () => {
    const refused = errorReply(503, 'queue_unavailable', 'retry later', { headers: { 'retry-after': '2' } });
    expect(publicApi.check(fromReply('POST', '/track', refused))).toEqual([]);
    const withoutRetry = { ...fromReply('POST', '/track', refused), headers: { 'content-type': JSON_TYPE, 'x-request-id': 'r-1' } };
    expect(publicApi.check(withoutRetry)).toEqual(['POST /track → 503: header Retry-After is required']);
    expect(publicApi.check(answer('GET', '/healthz', 200, { status: 'ok' }, { headers: new Headers({ 'content-type': JSON_TYPE }) }))).toEqual([
      'GET /healthz → 200: header X-Request-Id is required',
    ]);
  });

  it('accepts Segment answers and the HTTP layer\'s 413, and refuses a Segment error without its flag', () => {
    expect(publicApi.check(answer('POST', '/v1/batch', 200, { success: true }))).toEqual([]);
    expect(publicApi.check(answer('POST', '/v1/batch', 200, { success: true, rejected: [{ index: 2, code: 'invalid_message', message: 'batch.2.event …', path: 'batch.2.event' }] }))).toEqual([]);
    // The code and message belong at the top as well: a Segment-protocol client reads them there.
    expect(publicApi.check(answer('POST', '/v1/t', 400, { success: false, error: { code: 'invalid_message', message: 'x' } }))).not.toEqual([]);
    expect(publicApi.check(answer('POST', '/v1/t', 400, { success: false, code: 'invalid_message', message: 'batch.3.event …', error: { code: 'invalid_message', message: 'batch.3.event …', path: 'batch.3.event' } }))).toEqual([]);
    expect(publicApi.check(answer('POST', '/v1/batch', 413, { error: { code: 'payload_too_large', message: 'too large' } }))).toEqual([]);
    expect(publicApi.check(answer('POST', '/v1/identify', 401, { error: { code: 'missing_write_key', message: 'send the write key' } }))).not.toEqual([]);
  });

  it('takes the router\'s 404 and 405 for undocumented paths and methods, and nothing else', () => {
    expect(publicApi.check(fromReply('GET', '/track', methodNotAllowed('GET', '/track', ['POST', 'OPTIONS'])))).toEqual([]);
    expect(publicApi.check(answer('GET', '/nope', 404, { error: { code: 'not_found', message: 'no such endpoint: /nope' } }))).toEqual([]);
    expect(publicApi.check(answer('GET', '/nope', 200, { ok: true }))).toEqual(['GET /nope → 200: no documented path matches /nope']);
    expect(publicApi.check(answer('GET', '/track', 200, {}))).toEqual(['GET /track → 200: /track documents no GET']);
    const strict = createAnswerValidator(publicDocument, { routerAnswers: false });
    expect(strict.check(answer('GET', '/nope', 404, { error: { code: 'not_found', message: 'x' } }))).toEqual(['GET /nope → 404: no documented path matches /nope']);
  });

  it('checks only the content type of other bodies, and that a 204 has none', () => {
    expect(publicApi.check({ method: 'GET', path: '/inflow.min.js', status: 200, contentType: 'text/javascript; charset=utf-8', body: '!function(){}()' })).toEqual([]);
    expect(publicApi.check({ method: 'GET', path: '/spa/', status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html>' })).toEqual([]);
    expect(publicApi.check({ method: 'GET', path: '/products/sku-1?x=1', status: 200, contentType: 'text/html; charset=utf-8', body: '<p>' })).toEqual([]);
    expect(publicApi.check({ method: 'GET', path: '/inflow.min.js', status: 200, contentType: JSON_TYPE, body: '{}' })[0]).toMatch(/Content-Type application\/json is not documented/);
    expect(publicApi.check({ method: 'OPTIONS', path: '/track', status: 204, contentType: null, body: '' })).toEqual([]);
    expect(publicApi.check({ method: 'OPTIONS', path: '/track', status: 204, body: 'x' })).toEqual(['OPTIONS /track → 204: the document says no body, but the answer has one']);
  });

  it('accepts the demo profile answer', () => {
    expect(publicApi.check(answer('GET', '/demo/profile', 200, { state: 'no-cookie', profile: null, sessions: [], events: [] }))).toEqual([]);
    const found = {
      state: 'found',
      profile: { id: 'p', createdAt: AT, firstVisitAt: AT, lastVisitAt: AT, visits: 1, eventCount: 2, traits: {} },
      sessions: [{ id: 's', startedAt: AT, lastEventAt: AT, eventCount: 2, landingPage: { url: 'https://shop.example/', path: '/' } }],
      events: [{ id: 'e', type: 'page-view', time: AT, receivedAt: AT, sessionId: 's', properties: {} }],
    };
    expect(publicApi.check(answer('GET', '/demo/profile', 200, found))).toEqual([]);
    expect(publicApi.check(answer('GET', '/demo/profile', 200, { ...found, state: 'lost' }))).not.toEqual([]);
  });
});

const source = { id: 'web', name: 'Website', enabled: true, allowedOrigins: ['https://a.test'], createdAt: AT, updatedAt: AT };
const destination = {
  id: 'crm',
  name: '',
  enabled: true,
  webhook: { url: 'https://crm.example/hooks/inflow', method: 'POST', headers: {}, secretHeaders: { authorization: 'crm-token' }, timeoutMs: 10_000 },
  trigger: { eventTypes: ['order-completed'], sources: [], condition: { field: 'event.properties.total', op: 'gte', value: 10 } },
  mapping: { order: '{{event.properties.orderId}}' },
  delivery: { minAttempts: 10, maxAgeMs: 86_400_000, concurrency: 8 },
  version: 1,
  revision: 1,
  paused: false,
  createdAt: AT,
  updatedAt: AT,
  warnings: [{ path: 'webhook.secretHeaders.authorization', message: 'secret "crm-token" is not configured' }],
};

describe('the answer validator on the private API', () => {
  it('accepts sources and refuses a wrong field type', () => {
    expect(privateApi.check(answer('GET', '/sources', 200, { sources: [source] }))).toEqual([]);
    expect(privateApi.check(answer('POST', '/sources', 201, source))).toEqual([]);
    expect(privateApi.check(answer('GET', '/sources/web', 200, { ...source, enabled: 'yes' }))).toEqual(['GET /sources/web → 200: body/enabled must be boolean']);
    expect(privateApi.check(answer('POST', '/sources', 409, { error: { code: 'conflict', message: 'source "web" exists' } }))).toEqual([]);
  });

  it('accepts destinations, with their ETag, and the refusals of a write', () => {
    const etag = { 'x-request-id': 'r', etag: '"1"', 'content-type': JSON_TYPE };
    expect(privateApi.check(answer('POST', '/destinations', 201, destination, { headers: etag }))).toEqual([]);
    expect(privateApi.check(answer('GET', '/destinations', 200, { destinations: [destination] }))).toEqual([]);
    expect(privateApi.check(answer('POST', '/destinations/crm/pause', 200, { ...destination, paused: true, version: 2 }))).toEqual([]);
    expect(privateApi.check(answer('PUT', '/destinations/crm', 412, { error: { code: 'precondition_failed', message: 'at version 2, not 1' } }, { headers: etag }))).toEqual([]);
    expect(privateApi.check(answer('GET', '/destinations/crm', 200, destination, { headers: { 'x-request-id': 'r' } }))).toEqual([
      'GET /destinations/crm → 200: header ETag is required',
    ]);
    expect(privateApi.check({ method: 'DELETE', path: '/destinations/crm', status: 204, body: '' })).toEqual([]);
    expect(privateApi.check(answer('DELETE', '/destinations/crm', 200, {}))[0]).toMatch(/deleteDestination documents no status 200/);
    const tested = {
      request: { method: 'POST', url: destination.webhook.url, headers: { 'content-type': JSON_TYPE, authorization: '***', 'idempotency-key': 'k' }, body: { order: 'o-1' } },
      outcome: { kind: 'answer', status: 200, body: 'ok' },
    };
    expect(privateApi.check(answer('POST', '/destinations/crm/test', 200, tested))).toEqual([]);
    expect(privateApi.check(answer('POST', '/destinations/crm/test', 200, { ...tested, outcome: { kind: 'refused' } }))).not.toEqual([]);
  });

  it('accepts rules and schedules', () => {
    const rule = {
      id: 'buyers',
      name: '',
      enabled: true,
      trigger: { eventTypes: ['order-completed'], sources: [] },
      actions: [{ type: 'increment', trait: 'purchases', by: 1 }, { type: 'add-segment', segment: 'buyer' }, { type: 'delay', ms: 60_000 }],
      version: 1,
      createdAt: AT,
      updatedAt: AT,
      warnings: [],
    };
    expect(privateApi.check(answer('POST', '/rules', 201, rule))).toEqual([]);
    expect(privateApi.check(answer('POST', '/rules', 201, { ...rule, actions: [{ type: 'teleport' }] }))).not.toEqual([]);
    const schedule = { id: 'x', dueAt: AT, profileId: 'jane', rule: 'buyers', event: { id: 'e', type: 'order-completed' }, resumesAfterAction: 2, leasedUntil: null };
    expect(privateApi.check(answer('GET', '/schedules?profile=jane', 200, { schedules: [schedule] }))).toEqual([]);
  });

  it('accepts records, dead letters and the backlog', () => {
    const event = {
      id: 'e',
      type: 'page-view',
      time: AT,
      receivedAt: AT,
      sourceId: 'demo',
      profileId: 'jane',
      sessionId: 's',
      requestId: 'r',
      properties: {},
      context: {},
      async: false,
    };
    expect(privateApi.check(answer('GET', '/profiles/jane/events?limit=5', 200, { events: [event] }))).toEqual([]);
    expect(privateApi.check(answer('GET', '/events/e', 200, { ...event, time: 'yesterday' }))).toEqual(['GET /events/e → 200: body/time must match format "date-time"']);
    // The HTTP layer's 501 (a Transfer-Encoding other than chunked) on any path, Segment's and health's too.
    const unframed = { error: { code: 'unsupported_transfer_encoding', message: 'transfer encoding "gzip, chunked" is not supported' } };
    expect(publicApi.check(answer('POST', '/v1/batch', 501, unframed, { headers: new Headers({ 'content-type': JSON_TYPE, 'x-request-id': 'r-1' }) }))).toEqual([]);
    expect(publicApi.check(answer('GET', '/healthz', 501, unframed, { headers: new Headers({ 'content-type': JSON_TYPE, 'x-request-id': 'r-1' }) }))).toEqual([]);
    // Any private operation may answer 503 when a service behind it cannot be reached now.
    expect(privateApi.check(answer('GET', '/queue/collector/payloads/backlog', 503, { error: { code: 'queue_unavailable', message: 'the queue cannot answer now' } }, { headers: new Headers({ 'content-type': JSON_TYPE, 'retry-after': '5', 'x-request-id': 'r-1' }) }))).toEqual([]);
    const letter = { id: 'd-1', topic: 'collector/payloads', subscription: 'inflow-collector', key: 'k', data: '{}', reason: 'bad', failedAt: AT, redeliveryCount: 3 };
    expect(privateApi.check(answer('GET', '/dead-letters', 200, { deadLetters: [letter] }))).toEqual([]);
    expect(privateApi.check(answer('POST', '/dead-letters/replay', 200, { replayed: 1, notFound: ['no-such-letter'] }))).toEqual([]);
    expect(privateApi.check(answer('GET', '/queue/collector/payloads/backlog', 200, { total: 2, backlog: [{ partition: 'p0', subscription: 's', count: 2 }] }))).toEqual([]);
  });

  it('accepts the traces, metrics, documents and console files', () => {
    const trace = { entries: [{ at: AT, stage: 'edge', requestId: 'r', role: 'edge' }, { at: AT, stage: 'stored', role: 'collector', eventIds: ['e'], detail: { index: 'events' } }] };
    expect(privateApi.check(answer('GET', '/events/e/trace', 200, trace))).toEqual([]);
    expect(privateApi.check(answer('GET', '/requests/r/trace', 404, { error: { code: 'not_found', message: 'nothing known of request "r"' } }))).toEqual([]);
    expect(privateApi.check(answer('GET', '/profiles/jane/trace?limit=10', 200, { entries: [{ at: AT, stage: 'teleported' }] }))).not.toEqual([]);
    const metrics = { method: 'GET', path: '/metrics', status: 200, body: '# TYPE x counter\nx 1\n' };
    expect(privateApi.check({ ...metrics, contentType: 'text/plain; version=0.0.4; charset=utf-8' })).toEqual([]);
    expect(privateApi.check({ ...metrics, contentType: 'text/plain' })[0]).toMatch(/Content-Type text\/plain is not documented/);
    expect(privateApi.check({ method: 'GET', path: '/openapi/public.json', status: 200, contentType: JSON_TYPE, body: JSON.stringify(publicDocument) })).toEqual([]);
    expect(privateApi.check({ method: 'GET', path: '/console', status: 200, contentType: 'text/html; charset=utf-8', body: '<html>' })).toEqual([]);
  });

  it('takes a 401 on any path (the token is checked before routing), and the unauthenticated /healthz', () => {
    const unauthorized = { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } };
    expect(privateApi.check(answer('GET', '/sources', 401, unauthorized))).toEqual([]);
    expect(privateApi.check(answer('GET', '/no-such-thing', 401, unauthorized))).toEqual([]);
    expect(privateApi.check(answer('GET', '/healthz', 200, { status: 'ok' }))).toEqual([]);
    expect(privateApi.check(answer('GET', '/healthz', 401, unauthorized))[0]).toMatch(/privateHealthz documents no status 401/);
    expect(publicApi.check(answer('GET', '/nope', 401, unauthorized))).toEqual(['GET /nope → 401: no documented path matches /nope']);
  });
});
