import type { HttpReply, HttpRequest } from './http-types.js';
import { malformedPath, methodNotAllowed, notFound } from './replies.js';

export type RouteHandler = (request: HttpRequest, params: Record<string, string>) => Promise<HttpReply> | HttpReply;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: RouteHandler;
}

const NO_PARAMS: Record<string, string> = Object.freeze({});

/** A path that has a route's shape, with a parameter that does not decode. */
const MALFORMED = Symbol('malformed');

/** Matches `/a/:b/c` style paths; answers 400 (a parameter that does not decode), 404 and 405 (with Allow) on its own. */
export class Router {
  private readonly routes: Route[] = [];
  /**
   * Handlers of routes without parameters by path, then method, when no earlier route of that
   * method matches the path (the first match wins): most requests are answered from here.
   */
  private readonly exact = new Map<string, Map<string, RouteHandler>>();

  on(method: string, pattern: string, handler: RouteHandler): this {
    const segments = split(pattern);
    const literal = segments.every((segment) => !segment.startsWith(':') && segment !== '*');
    const shadowed = this.routes.some((route) => route.method === method && match(route.segments, segments));
    if (literal && !shadowed) {
      const methods = this.exact.get(pattern) ?? new Map<string, RouteHandler>();
      this.exact.set(pattern, methods.set(method, handler));
    }
    this.routes.push({ method, pattern, segments, handler });
    return this;
  }

  handle = (request: HttpRequest): Promise<HttpReply> => {
    try {
      const exact = this.exact.get(request.path)?.get(routedMethod(request.method));
      if (!exact) return Promise.resolve(this.walk(request));
      request.route = request.path;
      return Promise.resolve(exact(request, NO_PARAMS));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  private walk(request: HttpRequest): Promise<HttpReply> | HttpReply {
    const parts = split(request.path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = match(route.segments, parts);
      if (!params) continue;
      if (route.method === routedMethod(request.method)) {
        request.route = route.pattern;
        return params === MALFORMED ? malformedPath(request.path) : route.handler(request, params);
      }
      allowed.push(route.method);
      if (route.method === 'GET') allowed.push('HEAD');
    }
    return allowed.length > 0 ? methodNotAllowed(request.method, request.path, [...new Set(allowed)]) : notFound(request.path);
  }
}

/**
 * HEAD is answered wherever GET is, by GET's handler (the server sends the headers alone): the
 * method a handler answers a request as. Handlers in front of the router use it too.
 */
export function routedMethod(method: string): string {
  return method === 'HEAD' ? 'GET' : method;
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

function match(pattern: string[], parts: string[]): Record<string, string> | typeof MALFORMED | null {
  // A trailing "*" matches the rest of the path, or nothing (e.g. /spa/* serves /spa/ and /spa/about).
  if (pattern[pattern.length - 1] === '*') {
    if (parts.length < pattern.length - 1) return null;
    return match(pattern.slice(0, -1), parts.slice(0, pattern.length - 1));
  }
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  let malformed = false;
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = parts[i] as string;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        malformed = true;
      }
    } else if (expected !== actual) {
      return null;
    }
  }
  return malformed ? MALFORMED : params;
}
