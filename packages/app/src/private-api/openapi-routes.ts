import { json, type Router } from '@inflow/edge';
import { privateDocument } from '../openapi/private-document.js';
import { publicDocument } from '../openapi/public-document.js';

/** The OpenAPI 3.1 documents of both APIs, as the test suite checks every answer against them. */
export function withOpenApiRoutes(router: Router): Router {
  const publicBody = json(200, publicDocument);
  const privateBody = json(200, privateDocument);
  return router.on('GET', '/openapi/public.json', () => Promise.resolve(publicBody)).on('GET', '/openapi/private.json', () => Promise.resolve(privateBody));
}
