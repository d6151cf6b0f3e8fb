import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from './support/start-inflow.js';

const ORIGIN = 'https://shop.example';

describe('CORS headers of /track', () => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'false', INFLOW_MAX_BODY_BYTES: '20000' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'cors', allowedOrigins: [ORIGIN] }) })).status).toBe(201);
  });
  afterAll(() => app.close());

  const segment = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${app.publicUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ batch: [{ type: 'track', event: 'a', userId: 'u' }] }) });

  const credentialed = (headers: Headers) => ({
    origin: headers.get('access-control-allow-origin'),
    credentials: headers.get('access-control-allow-credentials'),
    vary: headers.get('vary'),
  });

  it('answers a preflight from an allowed origin with the origin, credentials and the headers it asked for', async () => {
    const response = await fetch(`${app.publicUrl}/track`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-timestamp' },
    });
    expect(response.status).toBe(204);
    expect(credentialed(response.headers)).toEqual({ origin: ORIGIN, credentials: 'true', vary: 'origin' });
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type,x-timestamp');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it.each([
    ['an accepted request', { source: { id: 'cors' }, events: [{ type: 'a' }] }, 200],
    ['an invalid one', { source: { id: 'cors' }, events: [{ type: '' }] }, 400],
    ['one for an unknown source', { source: { id: 'nope' }, events: [] }, 403],
  ])('echoes the origin (never *) with credentials on %s', async (_, body, status) => {
    const response = await app.track(body, { origin: ORIGIN });
    expect(response.status).toBe(status);
    expect(credentialed(response.headers)).toEqual({ origin: ORIGIN, credentials: 'true', vary: 'origin' });
    expect(response.headers.get('access-control-expose-headers')).toBe('retry-after, x-request-id');
  });

  it('sends no CORS headers to an origin the source does not allow, nor to a request without Origin', async () => {
    const refused = await app.track({ source: { id: 'cors' }, events: [] }, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const server = await app.track({ source: { id: 'cors' }, events: [] });
    expect(server.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets only an origin some source allows read a refusal given before the source is known: no page can probe for source ids or write keys', async () => {
    // A disabled source's refusal is readable by its own origins only.
    const OFF_ORIGIN = 'https://off.example';
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: 'cors-off', enabled: false, allowedOrigins: [OFF_ORIGIN] }) })).status).toBe(201);
    const refusals: Array<[string, (origin: string) => Promise<Response>, number, string]> = [
      ['malformed JSON', (origin) => app.track('{"source":', { origin }), 400, ORIGIN],
      ['an unknown source', (origin) => app.track({ source: { id: 'nope' }, events: [{ type: 'a' }] }, { origin }), 403, ORIGIN],
      ['a disabled source', (origin) => app.track({ source: { id: 'cors-off' }, events: [{ type: 'a' }] }, { origin }), 403, OFF_ORIGIN],
      ['an unknown write key', (origin) => segment({ origin, authorization: `Basic ${Buffer.from('nope:').toString('base64')}` }), 401, ORIGIN],
      ['no write key', (origin) => segment({ origin }), 401, ORIGIN],
    ];
    for (const [name, send, status, allowedOrigin] of refusals) {
      for (const other of ['https://evil.example', ...[ORIGIN, OFF_ORIGIN].filter((origin) => origin !== allowedOrigin)]) {
        const refused = await send(other);
        expect([name, other, refused.status, refused.headers.get('access-control-allow-origin'), refused.headers.get('access-control-allow-credentials')]).toEqual([name, other, status, null, null]);
      }
      const allowed = await send(allowedOrigin);
      expect([name, allowed.status, credentialed(allowed.headers)]).toEqual([name, status, { origin: allowedOrigin, credentials: 'true', vary: 'origin' }]);
    }
  });

  it('lets an allowed origin read a 413 the HTTP layer answers before /track runs, and no other origin', async () => {
    const preflight = await fetch(`${app.publicUrl}/track`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    const huge = JSON.stringify({ source: { id: 'cors' }, events: [{ type: 'a', properties: { pad: 'x'.repeat(30_000) } }] });
    const allowed = await app.track(huge, { origin: ORIGIN });
    expect(allowed.status).toBe(413);
    expect(credentialed(allowed.headers)).toEqual({ origin: ORIGIN, credentials: 'true', vary: 'origin' });
    const other = await app.track(huge, { origin: 'https://evil.example' });
    expect(other.status).toBe(413);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
