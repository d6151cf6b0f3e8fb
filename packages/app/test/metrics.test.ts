import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@inflow/core';
import { createInflow } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import { parseScrapes, scrape } from './metrics-scrape.js';
import { startInflow, type TestInflow } from './support/start-inflow.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the health port of a worker role', () => {
  it('answers /healthz, /readyz (503 while draining) and /metrics', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inflow-health-'));
    const logs: string[] = [];
    const config = parseConfig({}, { INFLOW_DATA_DIR: dataDir, INFLOW_DRAIN_DELAY_MS: '600', INFLOW_WORKER_WAIT_MS: '20' });
    const inflow = createInflow(config, ['collector'], createLogger({ level: 'info', format: 'text', sink: (line) => logs.push(line) }));
    try {
      await inflow.start();
      const base = `http://127.0.0.1:${inflow.healthPort}`;
      expect(logs.some((line) => line.includes(`health and metrics on http://127.0.0.1:${inflow.healthPort}`))).toBe(true);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = parseScrapes([await scrape(`${base}/metrics`)]);
      const names = metrics.families.map((family) => family.name);
      expect(names).toEqual(expect.arrayContaining(['inflow_stage_events_total', 'inflow_stage_events_pending', 'inflow_queue_backlog_messages', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_heap_space_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_version_info']));
      // Left out on purpose: observing every garbage collection cost a busy edge 4 % (process-metrics.ts).
      expect(names).not.toContain('nodejs_gc_duration_seconds');
      expect(metrics.value('inflow_stage_events_total', { stage: 'collector', outcome: 'received' })).toBe(0);
      expect(metrics.value('inflow_queue_backlog_messages', { topic: 'collector/payloads' })).toBe(0);
      expect((await fetch(`${base}/nothing`)).status).toBe(404);

      const closing = inflow.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const draining = await fetch(`${base}/readyz`);
      expect(draining.status).toBe(503);
      expect(draining.headers.get('retry-after')).toBe('1');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      await closing;
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    } finally {
      await inflow.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('request ids and metrics of the edge', () => {
  let app: TestInflow;
  let trusting: TestInflow;
  beforeAll(async () => {
    app = await startInflow();
    trusting = await startInflow({ INFLOW_TRUST_REQUEST_ID: 'true' });
    for (const one of [app, trusting]) expect((await one.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'web' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await trusting?.close();
  });

  const body = (profile: string, queue = false): unknown => ({ source: { id: 'web' }, profile: { id: profile }, events: [{ type: 'page-view' }], options: { queue } });

  it('gives every public answer an X-Request-Id, the stored request\'s id when accepted', async () => {
    const stored = await app.track(body('rid-1'));
    expect(stored.status).toBe(200);
    const id = stored.headers.get('x-request-id') ?? '';
    expect(id).toMatch(UUID);
    const [eventId] = ((await stored.json()) as { events: string[] }).events;
    expect(await (await app.api(`/events/${eventId}`)).json()).toMatchObject({ requestId: id });

    const queued = await app.track(body('rid-2', true));
    expect(queued.status).toBe(201);
    expect(queued.headers.get('x-request-id')).toMatch(UUID);

    const refused = await app.track({ source: { id: 'web' }, profile: { id: 'rid-x' }, events: [{ type: '' }] });
    expect(refused.status).toBe(400);
    const missing = await fetch(`${app.publicUrl}/no-such-path`);
    expect(missing.status).toBe(404);
    const segment = await fetch(`${app.publicUrl}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('web:').toString('base64')}` },
      body: JSON.stringify({ userId: 'rid-3', event: 'Signed Up' }),
    });
    expect(segment.status).toBe(200);
    const ids = [refused, missing, segment].map((response) => response.headers.get('x-request-id'));
    for (const one of ids) expect(one).toMatch(UUID);
    expect(new Set([id, ...ids]).size).toBe(4);
    // A page on an allowed origin may read it.
    expect((await app.api('/sources/web', { method: 'PATCH', body: JSON.stringify({ allowedOrigins: ['https://shop.example'] }) })).status).toBe(200);
    const cors = await app.track(body('rid-4'), { origin: 'https://shop.example' });
    expect(cors.headers.get('access-control-expose-headers')).toContain('x-request-id');
    // The private API's answers carry one too.
    expect((await app.api('/sources')).headers.get('x-request-id')).toMatch(UUID);
  });

  it('keeps the caller\'s X-Request-Id only when trusted and well formed', async () => {
    const given = 'lb-7f3a:01.ab_c-9';
    expect((await app.track(body('rid-5'), { 'x-request-id': given })).headers.get('x-request-id')).toMatch(UUID);
    const trusted = await trusting.track(body('rid-6'), { 'x-request-id': given });
    expect(trusted.headers.get('x-request-id')).toBe(given);
    const [eventId] = ((await trusted.json()) as { events: string[] }).events;
    expect(await (await trusting.api(`/events/${eventId}`)).json()).toMatchObject({ requestId: given });
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
      expect((await trusting.track(body('rid-7'), { 'x-request-id': bad })).headers.get('x-request-id')).toMatch(UUID);
    }
    const missing = await fetch(`${trusting.publicUrl}/no-such-path`, { headers: { 'x-request-id': given } });
    expect(missing.headers.get('x-request-id')).toBe(given);
  });

  it('serves /metrics on the private API behind its token, with the edge\'s families', async () => {
    expect((await fetch(`${app.privateUrl}/metrics`)).status).toBe(401);
    const text = await scrape(`${app.privateUrl}/metrics`, { authorization: `Bearer ${app.inflow.apiToken}` });
    const metrics = parseScrapes([text]);
    const names = metrics.families.map((family) => family.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'inflow_http_requests_total',
        'inflow_http_request_duration_seconds',
        'inflow_http_request_body_bytes',
        'inflow_edge_requests_total',
        'inflow_edge_events_total',
        'inflow_queue_publish_duration_seconds',
        'inflow_queue_publish_batch_requests',
        'inflow_queue_publish_batch_bytes',
        'inflow_queue_backlog_messages',
        'inflow_stage_events_total',
        'inflow_stage_events_pending',
        'inflow_store_write_duration_seconds',
        'inflow_trace_entries_total',
      ]),
    );
    expect(metrics.value('inflow_http_requests_total', { server: 'public', route: '/track', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(metrics.value('inflow_http_requests_total', { server: 'public', route: 'unmatched', status: '404' })).toBe(1);
    expect(metrics.value('inflow_http_requests_total', { server: 'public', route: '/v1/track', status: '200' })).toBe(1);
    expect(metrics.value('inflow_edge_requests_total', { outcome: 'refused' })).toBe(1);
    expect(metrics.value('inflow_http_request_duration_seconds_count', { server: 'public', route: '/track' })).toBeGreaterThanOrEqual(2);
    // Bounded labels: no path, profile, event or request id shows up.
    expect(text).not.toMatch(/no-such-path|rid-\d|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
