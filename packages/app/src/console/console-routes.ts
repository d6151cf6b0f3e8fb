import { type HttpHandler, type HttpReply, routedMethod } from '@inflow/edge';
import { CONSOLE_PAGE } from './console-page.js';
import { consoleScript } from './console-script.js';
import { CONSOLE_STYLE } from './console-style.js';

/**
 * Nothing but this origin's own script, style and API calls: no inline code, no eval, no
 * frames, no form posts, no other hosts.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PROTECTIONS = {
  'cache-control': 'no-store',
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The console's three files by path, built once: the page, its script and its style. */
export function consoleFiles(): ReadonlyMap<string, HttpReply> {
  const file = (type: string, text: string): HttpReply => ({ status: 200, headers: { 'content-type': type, ...PROTECTIONS }, body: Buffer.from(text) });
  const page = file('text/html; charset=utf-8', CONSOLE_PAGE);
  return new Map([
    ['/console', page],
    ['/console/', page],
    ['/console/app.js', file('text/javascript; charset=utf-8', consoleScript())],
    ['/console/app.css', file('text/css; charset=utf-8', CONSOLE_STYLE)],
  ]);
}

/**
 * The ops console on the private port, in front of the bearer check: its files hold no data
 * (every figure comes from the token-protected JSON routes), so they are served without the
 * token; every other request goes on to `next`.
 */
export function withConsole(next: HttpHandler): HttpHandler {
  const files = consoleFiles();
  return (request) => {
    const file = routedMethod(request.method) === 'GET' ? files.get(request.path) : undefined;
    return file ? Promise.resolve(file) : next(request);
  };
}
