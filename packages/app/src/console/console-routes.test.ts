import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '@inflow/edge';
import { CONSOLE_CSP, consoleFiles, withConsole } from './console-routes.js';

const request = (method: string, path: string): HttpRequest => ({ method, path, query: '', headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' });

describe('the ops console files', () => {
  const next = (r: HttpRequest) => Promise.resolve({ status: 401, body: `next ${r.method} ${r.path}` });
  const handler = withConsole(next);

  it('answers the page, its script and its style to GET and HEAD, uncached, under the CSP', async () => {
    for (const [path, type] of [
      ['/console', 'text/html'],
      ['/console/', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
    ] as const) {
      const reply = await handler(request('GET', path));
      expect(reply.status, path).toBe(200);
      expect(reply.headers).toMatchObject({ 'cache-control': 'no-store', 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff' });
      expect(reply.headers?.['content-type'], path).toContain(type);
      // HEAD gets the same reply; the server sends its headers alone.
      expect(await handler(request('HEAD', path)), path).toEqual(reply);
    }
  });

  it('leaves every other request to the API behind it (and its bearer check)', async () => {
    for (const [method, path] of [
      ['POST', '/console'],
      ['GET', '/console/other.js'],
      ['GET', '/consoles'],
      ['GET', '/stats'],
    ] as const) {
      expect((await handler(request(method, path))).body).toBe(`next ${method} ${path}`);
    }
  });

  it('serves a script that parses, builds no markup from strings and evaluates no code', () => {
    const script = String(consoleFiles().get('/console/app.js')?.body);
    expect(() => new Function(script)).not.toThrow();
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  });
});
