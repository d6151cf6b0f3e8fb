import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServerOptions {
  host: string;
  port: number;
  /** false while starting and once draining: /readyz answers 503. */
  isReady(): boolean;
  /** The Prometheus text; undefined when this process keeps no metrics. */
  metrics(): Promise<string>;
  metricsContentType: string;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * Every role's own port (plain node:http, off the hot path): /healthz 200 while the process runs,
 * /readyz 200 once started and until draining, /metrics for Prometheus. Nothing else.
 */
export async function listenHealth(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...JSON_TYPE, allow: 'GET, HEAD' }).end('{"error":{"code":"method_not_allowed","message":"use GET"}}');
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, JSON_TYPE).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      if (options.isReady()) response.writeHead(200, JSON_TYPE).end('{"status":"ready"}');
      else response.writeHead(503, { ...JSON_TYPE, 'retry-after': '1' }).end('{"status":"not ready"}');
    } else if (path === '/metrics') {
      options.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.metricsContentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}`),
      );
    } else {
      response.writeHead(404, JSON_TYPE).end(JSON.stringify({ error: { code: 'not_found', message: `no such endpoint: ${path}` } }));
    }
  });
  // Scrapers and probes keep connections alive: closing must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
