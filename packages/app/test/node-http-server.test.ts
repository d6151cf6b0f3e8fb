import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAccepted } from '@inflow/protocol';
import { parseScrapes, scrape } from './metrics-scrape.js';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

const source = { id: 'demo' };

/** Writes `raw` on one connection and resolves with everything written back until the server closed it. */
function exchange(app: TestInflow, raw: string): Promise<string> {
  const url = new URL(app.publicUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no close within 20 s; got so far: ${JSON.stringify(text)}`)));
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(raw);
  });
}

const post = (version: string, body: string, extra = ''): string =>
  `POST /track ${version}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

interface RawAnswer {
  status: number;
  headers: string;
  body: unknown;
}

/** The answers in a connection's text, one after another, each framed by its Content-Length (a HEAD's has no body). */
function answersIn(text: string, bodyless = false): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`an answer without the end of its head: ${JSON.stringify(rest)}`);
    const headers = rest.slice(0, end);
    const length = bodyless ? 0 : Number(/^content-length: *(\d+)$/im.exec(headers)?.[1] ?? 'NaN');
    if (!Number.isInteger(length)) throw new Error(`an answer without Content-Length: ${JSON.stringify(headers)}`);
    const body = rest.slice(end + 4, end + 4 + length);
    answers.push({ status: Number(headers.slice(9, 12)), headers, body: body === '' ? undefined : (JSON.parse(body) as unknown) });
    rest = rest.slice(end + 4 + length);
  }
  return answers;
}

/**
 * INFLOW_HTTP_SERVER=node serves the clients uWebSockets.js leaves unanswered: HTTP/1.0 (nginx's
 * proxy_pass without proxy_http_version 1.1, ApacheBench) and requests pipelined on one connection.
 */
describe.each(ENGINES)('the edge on node:http, %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_HTTP_SERVER: 'node', INFLOW_REQUEST_TIMEOUT_MS: '800' });
  });
  afterAll(() => app.close());

  it('says at start which server it runs on', () => {
    expect(app.logs.join('\n')).toContain('HTTP on node:http');
  });

  it('answers an HTTP/1.0 request, without Host, in place and queued, then closes the connection', async () => {
    const profile = `http10-${engine}`;
    const inPlace = answersIn(await exchange(app, post('HTTP/1.0', JSON.stringify({ source, profile: { id: profile }, events: [{ id: `${profile}-a`, type: 'a' }] }))));
    expect(inPlace).toMatchObject([{ status: 200, body: { queued: false, events: [`${profile}-a`] } }]);
    const queued = answersIn(await exchange(app, post('HTTP/1.0', JSON.stringify({ source, profile: { id: profile }, events: [{ id: `${profile}-b`, type: 'b' }], options: { queue: true } }))));
    expect(queued).toMatchObject([{ status: 201, body: { queued: true, events: [`${profile}-b`] } }]);
    const stored = await app.eventually<{ events: Array<{ id: string }> }>(`/profiles/${profile}/events`, (body) => body.events.length === 2);
    expect(stored.events.map((e) => e.id).sort()).toEqual([`${profile}-a`, `${profile}-b`]);
  });

  it('answers HTTP/1.1 without Host and a target in absolute form (what uWS leaves unanswered)', async () => {
    const profile = `hostless-${engine}`;
    const body = JSON.stringify({ source, profile: { id: profile }, events: [{ id: `${profile}-a`, type: 'a' }] });
    const [hostless] = answersIn(await exchange(app, post('HTTP/1.1', body, 'Connection: close\r\n')));
    expect(hostless).toMatchObject({ status: 200, body: { events: [`${profile}-a`] } });
    const absolute = `POST ${app.publicUrl}/track HTTP/1.1\r\nHost: edge\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const [proxied] = answersIn(await exchange(app, absolute));
    // The same event id again: stored once.
    expect(proxied).toMatchObject({ status: 200, body: { events: [`${profile}-a`] } });
    const stored = await app.eventually<{ events: unknown[] }>(`/profiles/${profile}/events`, (b) => b.events.length === 1);
    expect(stored.events).toHaveLength(1);
  });

  it('answers requests pipelined on one connection, in order, queued ones too', async () => {
    const profile = `pipelined-${engine}`;
    const bodies = [false, true, false, true].map((queue, i) =>
      JSON.stringify({ source, profile: { id: profile }, events: [{ id: `${profile}-${i}`, type: 'p' }], options: { queue } }),
    );
    const raw = bodies.map((body, i) => post('HTTP/1.1', body, `Host: edge\r\n${i === bodies.length - 1 ? 'Connection: close\r\n' : ''}`)).join('');
    const answers = answersIn(await exchange(app, raw));
    expect(answers.map((a) => [a.status, (a.body as TrackAccepted).events])).toEqual([
      [200, [`${profile}-0`]],
      [201, [`${profile}-1`]],
      [200, [`${profile}-2`]],
      [201, [`${profile}-3`]],
    ]);
    const stored = await app.eventually<{ events: unknown[] }>(`/profiles/${profile}/events`, (body) => body.events.length === 4);
    expect(stored.events).toHaveLength(4);
    expect(await (await app.api(`/profiles/${profile}`)).json()).toMatchObject({ eventCount: 4 });
  });

  it('answers the requests before one its parser refuses, in order, and the refusal after them', async () => {
    const profile = `before-garbage-${engine}`;
    const bodies = [false, true].map((queue, i) => JSON.stringify({ source, profile: { id: profile }, events: [{ id: `${profile}-${i}`, type: 'p' }], options: { queue } }));
    const raw = `${bodies.map((body) => post('HTTP/1.1', body, 'Host: edge\r\n')).join('')}XYZ\r\n\r\n`;
    const answers = answersIn(await exchange(app, raw));
    expect(answers.map((a) => a.status)).toEqual([200, 201, 400]);
    expect(answers[2]).toMatchObject({ body: { error: { code: 'malformed_request' } } });
    expect(answers[2]?.headers).toMatch(/^connection: close$/im);
    const stored = await app.eventually<{ events: unknown[] }>(`/profiles/${profile}/events`, (body) => body.events.length === 2);
    expect(stored.events).toHaveLength(2);
  });

  it('names a request its parser refuses with a 400, and goes on serving', async () => {
    const [refused] = answersIn(await exchange(app, 'POST /track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'));
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'malformed_request', message: expect.stringContaining('could not be parsed') } } });
    expect((await app.track({ source, events: [] })).status).toBe(200);
  });

  it('names a chunked body its parser refuses with a 400 (a bad chunk size, bare-LF chunk lines) a page can read, counts it, and goes on serving', async () => {
    const refusals = async (): Promise<number> =>
      parseScrapes([await scrape(`${app.privateUrl}/metrics`, { authorization: `Bearer ${app.inflow.apiToken}` })]).value('inflow_http_requests_total', { server: 'public', status: '400' });
    const before = await refusals();
    // A page's preflight comes first (and has the server learn which origins its sources allow).
    const preflight = await fetch(`${app.publicUrl}/track`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    const head = 'POST /track HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const chunks of ['zz\r\n{"source":{"id":"demo"},"events":[]}\r\n0\r\n\r\n', '5\n{"so"}\n0\n\n']) {
      const answers = answersIn(await exchange(app, head + chunks));
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatchObject({ status: 400, body: { error: { code: 'malformed_request', message: expect.stringContaining('could not be parsed') } } });
      // The demo source allows every origin: the refusal carries CORS, as the server's other early refusals do.
      expect(answers[0]?.headers).toMatch(/^access-control-allow-origin: https:\/\/shop\.example$/im);
      expect(answers[0]?.headers).toMatch(/^x-request-id: [0-9a-f-]{36}$/im);
    }
    expect(await refusals()).toBe(before + 2);
    expect((await app.track({ source, events: [] })).status).toBe(200);
  });

  it('answers 408 to a head or a body that stalls past the deadline', async () => {
    const [head] = answersIn(await exchange(app, 'POST /track HTTP/1.1\r\nHost: x\r\nContent-Le'));
    expect(head).toMatchObject({ status: 408, body: { error: { code: 'request_timeout', message: 'the request head did not arrive within 800 ms' } } });
    const [body] = answersIn(await exchange(app, 'POST /track HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"source":'));
    expect(body).toMatchObject({ status: 408, body: { error: { code: 'request_timeout', message: 'the request body did not arrive within 800 ms' } } });
  });

  it('serves the private API, and HEAD with the length GET would have', async () => {
    expect((await app.api('/sources')).status).toBe(200);
    const [head] = answersIn(await exchange(app, 'HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), true);
    const get = await fetch(`${app.publicUrl}/healthz`);
    expect(head?.status).toBe(200);
    expect(head?.headers).toMatch(new RegExp(`^content-length: ${(await get.text()).length}$`, 'im'));
  });
});
