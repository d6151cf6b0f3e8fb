import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey, sendWebhook, type WebhookRequest } from './webhook-sender.js';

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('sendWebhook against a real HTTP receiver', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];
  const routes: Record<string, (res: ServerResponse) => void> = {
    '/ok': (res) => res.writeHead(200).end('thanks'),
    '/busy': (res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'),
    '/broken': (res) => res.writeHead(500).end('x'.repeat(5_000)),
    '/moved': (res) => res.writeHead(301, { location: '/ok' }).end(),
    '/slow': (res) => void setTimeout(() => res.writeHead(200).end(), 2_000),
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method ?? '', headers: req.headers, body });
        (routes[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (path: string, extra: Partial<WebhookRequest> = {}): WebhookRequest => ({
    url: `${base}${path}`,
    method: 'POST',
    headers: { authorization: 'Bearer s3cret' },
    body: { event: { id: 'e-1' } },
    timeoutMs: 1_000,
    idempotencyKey: idempotencyKey('crm', 3, { id: 'e-1', profileId: 'p-1' }),
    ...extra,
  });

  it('sends the JSON body with the idempotency key and the headers', async () => {
    expect(await sendWebhook(request('/ok', { method: 'PUT' }))).toEqual({ kind: 'answer', status: 200, body: 'thanks' });
    const last = received.at(-1)!;
    expect(last.method).toBe('PUT');
    expect(JSON.parse(last.body)).toEqual({ event: { id: 'e-1' } });
    expect(last.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer s3cret', 'idempotency-key': idempotencyKey('crm', 3, { id: 'e-1', profileId: 'p-1' }) });
  });

  it('reports answers, Retry-After and a bounded body', async () => {
    expect(await sendWebhook(request('/busy'))).toEqual({ kind: 'answer', status: 429, body: 'slow down', retryAfterSeconds: 7 });
    const broken = await sendWebhook(request('/broken'));
    expect(broken).toMatchObject({ kind: 'answer', status: 500 });
    expect(broken.kind === 'answer' && broken.body?.length).toBe(2_000);
  });

  it('does not follow redirects', async () => {
    expect(await sendWebhook(request('/moved'))).toMatchObject({ kind: 'answer', status: 301 });
  });

  it('reports a timeout and a refused connection as values', async () => {
    expect(await sendWebhook(request('/slow', { timeoutMs: 200 }))).toEqual({ kind: 'timeout', afterMs: 200 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await sendWebhook(request('/ok', { url: `http://127.0.0.1:${port}/ok` }));
    expect(refused).toMatchObject({ kind: 'network', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('keys are stable per event and destination version', () => {
    const e1 = { id: 'e-1', profileId: 'p-1' };
    expect(idempotencyKey('crm', 3, e1)).toBe(idempotencyKey('crm', 3, { ...e1 }));
    const keys = [idempotencyKey('crm', 3, e1), idempotencyKey('crm', 4, e1), idempotencyKey('crm', 3, { ...e1, id: 'e-2' }), idempotencyKey('erp', 3, e1), idempotencyKey('crm', 3, { ...e1, profileId: 'p-2' })];
    // The same event id in another profile is another event.
    expect(new Set(keys).size).toBe(5);
  });
});
