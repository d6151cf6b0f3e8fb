import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Site {
  url: string;
  /** Serves `html` at `path` from now on. */
  page(path: string, html: string): string;
  /** Serves any other file (a script, a module) at `path` from now on. */
  asset(path: string, body: string, contentType: string): string;
  close(): Promise<void>;
}

/** A website on its own origin (another port than the edge), whose pages the tests write. */
export async function startSite(): Promise<Site> {
  const pages = new Map<string, { body: string; type: string }>();
  const server = createServer((req, res) => {
    const found = pages.get((req.url ?? '/').split('?')[0] ?? '/');
    res.writeHead(found ? 200 : 404, { 'content-type': found?.type ?? 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(found?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    page(path, html) {
      pages.set(path, { body: html, type: 'text/html; charset=utf-8' });
      return url + path;
    },
    asset(path, body, type) {
      pages.set(path, { body, type });
      return url + path;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A page using the copy-paste snippet: the tracker loads from the edge, calls before that are queued. */
export function trackedPage(edgeUrl: string, init: Record<string, unknown>, body = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>E2E page</title>
<script>
!function(w,d,u){var i=w.inflow=w.inflow||[];if(i.init)return;["init","track","page","identify","group","alias","register","unregister","ready","flush","reset","consent","debug"].forEach(function(m){i[m]=function(){i.push([m,[].slice.call(arguments)])}});var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s)}(window,document,${JSON.stringify(`${edgeUrl}/inflow.min.js`)});
inflow.init(${JSON.stringify({ endpoint: edgeUrl, sourceId: 'demo', ...init })});
</script></head><body>${body}</body></html>`;
}
