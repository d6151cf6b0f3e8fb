import type { Router } from '@inflow/edge';

/** GET /metrics on the private API (behind its bearer token): the same text as the health port's. */
export function withMetricsRoutes(router: Router, metrics: { text(): Promise<string>; contentType: string }): Router {
  return router.on('GET', '/metrics', async () => ({ status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.text() }));
}
