import { timingSafeEqual } from 'node:crypto';
import { errorReply, type HttpReply, type HttpRequest } from '@inflow/edge';

/** Wraps a handler so that it runs only with `Authorization: Bearer <token>`. */
export function requireBearer(token: string, handler: (request: HttpRequest) => Promise<HttpReply>) {
  const expected = Buffer.from(token);
  return async (request: HttpRequest): Promise<HttpReply> => {
    const header = request.headers['authorization'] ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return errorReply(401, 'unauthorized', 'missing or wrong bearer token', { headers: { 'www-authenticate': 'Bearer' } });
    }
    return handler(request);
  };
}
