import type { HttpReply, HttpRequest } from './http-types.js';
import { methodNotAllowed, notFound } from './replies.js';

export type RouteHandler = (request: HttpRequest, params: Record<string, string>) => Promise<HttpReply> | HttpReply;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/** Matches `/a/:b/c` style paths; answers 404 and 405 (with Allow) on its own. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method, segments: split(pattern), handler });
    return this;
  }

  handle = async (request: HttpRequest): Promise<HttpReply> => {
    const parts = split(request.path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = match(route.segments, parts);
      if (!params) continue;
      if (route.method === request.method) return route.handler(request, params);
      allowed.push(route.method);
    }
    return allowed.length > 0 ? methodNotAllowed(request.method, request.path, allowed) : notFound(request.path);
  };
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

function match(pattern: string[], parts: string[]): Record<string, string> | null {
  // A trailing "*" matches the rest of the path, or nothing (e.g. /spa/* serves /spa/ and /spa/about).
  if (pattern[pattern.length - 1] === '*') {
    if (parts.length < pattern.length - 1) return null;
    return match(pattern.slice(0, -1), parts.slice(0, pattern.length - 1));
  }
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = parts[i] as string;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}
