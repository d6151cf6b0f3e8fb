import { describe, expect, it } from 'vitest';
import { ClientGoneError, createLogger, InfrastructureError, QueueUnavailableError, type RequestBatcher, type RequestCollector, type SourceRecord, type SourceStore } from '@inflow/core';
import type { HttpRequest } from '../http/http-types.js';
import { SourceRegistry } from '../sources/source-registry.js';
import { createTrackHandler } from './track-handler.js';

/** A store of sources that cannot be reached (Elasticsearch down, Redis just emptied). */
const unreachable: SourceStore = {
  listSources: () => Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED')),
  getSource: () => Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED')),
  putSource: () => Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED')),
};

const request = (body: unknown): HttpRequest => ({
  method: 'POST',
  path: '/track',
  query: '',
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(body)),
  remoteAddress: '127.0.0.1',
});

describe('POST /track', () => {
  it('answers 503 with Retry-After, not 500, when the source cannot be checked; nothing is queued or stored', async () => {
    const appended: string[] = [];
    const handler = createTrackHandler({
      sources: new SourceRegistry(unreachable, 1_000),
      limits: { maxEvents: 100, maxEventBytes: 65_536 },
      queueTimeoutMs: 1_000,
      collectorQueue: { append: (lane: string) => Promise.resolve(void appended.push(lane)) } as unknown as RequestBatcher,
      collector: { process: () => Promise.reject(new Error('not expected')) } as unknown as RequestCollector,
      logger: createLogger({ level: 'error', format: 'text', sink: () => undefined }),
    });
    for (const queue of [true, false]) {
      const reply = await handler(request({ source: { id: 'web' }, events: [{ type: 'a' }], options: { queue } }));
      expect(reply.status).toBe(503);
      expect(reply.headers?.['retry-after']).toBe('1');
      expect(JSON.parse(String(reply.body))).toMatchObject({ error: { code: 'service_unavailable', message: expect.stringContaining('the source cannot be checked now') as string } });
    }
    expect(appended).toEqual([]);
  });

  it('answers a refusal with an Origin as a 4xx or 503 whatever the source listing does: fails with any error, hangs, or answers late', async () => {
    const web: SourceRecord = { id: 'web', name: 'web', enabled: true, allowedOrigins: ['https://shop.example'], createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z' };
    const raw = Object.assign(new Error('socket hang up'), { name: 'ConnectionError' });
    let listing: () => Promise<SourceRecord[]> = () => Promise.reject(raw);
    let lists = 0;
    const store: SourceStore = {
      listSources: () => {
        lists += 1;
        return listing();
      },
      getSource: (id) => (id === 'web' ? Promise.resolve(web) : Promise.reject(raw)),
      putSource: () => Promise.resolve(),
    };
    const handler = createTrackHandler({
      sources: new SourceRegistry(store, 60_000),
      limits: { maxEvents: 100, maxEventBytes: 65_536 },
      queueTimeoutMs: 1_000,
      collectorQueue: { append: () => Promise.resolve() } as unknown as RequestBatcher,
      collector: { process: () => Promise.reject(new Error('not expected')) } as unknown as RequestCollector,
      logger: createLogger({ level: 'error', format: 'text', sink: () => undefined }),
    });
    const malformed = (origin: string): HttpRequest => ({ ...request({}), headers: { 'content-type': 'application/json', origin }, body: Buffer.from('{"source":') });
    // A listing that fails with a raw client error: the refusal stays a 400, without CORS (nothing known allows the origin).
    const failed = await handler(malformed('https://shop.example'));
    expect([failed.status, failed.headers?.['access-control-allow-origin']]).toEqual([400, undefined]);
    // A listing that answers late (the store's client bounds every call): the refusal waits at most a second.
    listing = () => new Promise((resolve) => setTimeout(() => resolve([web]), 2_500));
    const started = Date.now();
    const late = await handler(malformed('https://shop.example'));
    expect([late.status, late.headers?.['access-control-allow-origin']]).toEqual([400, undefined]);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Once that listing is known, refusals answer from it without waiting or listing again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    listing = () => Promise.reject(raw);
    const before = lists;
    const replies = await Promise.all(Array.from({ length: 5 }, () => handler(malformed('https://shop.example'))));
    expect(lists - before).toBe(0);
    expect(replies.map((reply) => [reply.status, reply.headers?.['access-control-allow-origin']])).toEqual(Array.from({ length: 5 }, () => [400, 'https://shop.example']));
    const evil = await handler(malformed('https://evil.example'));
    expect([evil.status, evil.headers?.['access-control-allow-origin']]).toEqual([400, undefined]);
  });

  it('answers 499 (never sent) without an outage warning when the client went away before the queue took the request, and 503 with one for a real outage', async () => {
    const web: SourceRecord = { id: 'web', name: 'web', enabled: true, allowedOrigins: [], createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z' };
    const store: SourceStore = { listSources: () => Promise.resolve([web]), getSource: () => Promise.resolve(web), putSource: () => Promise.resolve() };
    const lines: string[] = [];
    let failure: Error = new ClientGoneError();
    const handler = createTrackHandler({
      sources: new SourceRegistry(store, 1_000),
      limits: { maxEvents: 100, maxEventBytes: 65_536 },
      queueTimeoutMs: 1_000,
      collectorQueue: { append: () => Promise.reject(failure), laneOf: () => 0 } as unknown as RequestBatcher,
      collector: { process: () => Promise.reject(new Error('not expected')) } as unknown as RequestCollector,
      logger: createLogger({ level: 'warn', format: 'text', sink: (line) => lines.push(line) }),
    });
    const body = { source: { id: 'web' }, events: [{ type: 'a' }], options: { queue: true } };
    const gone = await handler(request(body));
    expect(gone.status).toBe(499);
    expect(String(gone.body)).toContain('nothing was stored');
    expect(lines).toEqual([]);
    failure = new QueueUnavailableError('pulsar is not connected', 2);
    const outage = await handler(request(body));
    expect(outage.status).toBe(503);
    expect(outage.headers?.['retry-after']).toBe('2');
    expect(lines.join('\n')).toContain('track refused, queue unavailable: pulsar is not connected');
  });
});

/** The handler of an open source "web", whose queue takes every request at once. */
function openHandler(collector: Pick<RequestCollector, 'process'>): ReturnType<typeof createTrackHandler> {
  const source: SourceRecord = { id: 'web', name: 'web', enabled: true, allowedOrigins: ['*'], createdAt: '', updatedAt: '' };
  const store: SourceStore = { listSources: () => Promise.resolve([source]), getSource: () => Promise.resolve(source), putSource: () => Promise.resolve() };
  return createTrackHandler({
    sources: new SourceRegistry(store, 1_000),
    limits: { maxEvents: 100, maxEventBytes: 65_536 },
    queueTimeoutMs: 1_000,
    collectorQueue: { append: () => Promise.resolve(), laneOf: () => 0 } as unknown as RequestBatcher,
    collector: collector as RequestCollector,
    logger: createLogger({ level: 'error', format: 'text', sink: () => undefined }),
  });
}

describe('POST /track with some events refused alone', () => {
  it('notes them on the accepted answer, queued or processed, for the intake log', async () => {
    const handler = openHandler({ process: () => Promise.resolve({ kind: 'accepted', accepted: { queued: false, profile: { id: 'p' }, session: { id: 's' }, events: ['ok'] } }) } as unknown as RequestCollector);
    for (const queue of [true, false]) {
      const reply = await handler(request({ source: { id: 'web' }, profile: { id: 'p' }, events: [{ id: 'ok', type: 'a' }, { id: 'bad', type: '' }], options: { queue } }));
      expect(reply.status).toBe(queue ? 201 : 200);
      expect(JSON.parse(String(reply.body))).toMatchObject({ rejected: [{ index: 1, code: 'invalid_payload' }] });
      expect(reply.refusedEvents).toEqual({ count: 1, code: 'invalid_payload' });
      const clean = await handler(request({ source: { id: 'web' }, profile: { id: 'p' }, events: [{ id: 'ok', type: 'a' }], options: { queue } }));
      expect(clean.refusedEvents).toBeUndefined();
    }
  });
});

describe('POST /track queued', () => {
  it('answers the ids alone, not what else the client put in its profile and session objects', async () => {
    const handler = openHandler({ process: () => Promise.reject(new Error('not expected')) });
    const junk = 'x'.repeat(10_000);
    const reply = await handler(
      request({ source: { id: 'web' }, profile: { id: 'p', junk, constructor: { admin: true } }, session: { id: 's', junk }, events: [{ id: 'e', type: 'a' }], options: { queue: true } }),
    );
    expect(reply.status).toBe(201);
    expect(JSON.parse(String(reply.body))).toEqual({ queued: true, profile: { id: 'p' }, session: { id: 's' }, events: ['e'] });
  });
});
