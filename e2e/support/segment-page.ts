import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Where analytics-next's browser build (UMD: the `AnalyticsNext` global, and the chunks it loads on demand) lives. */
const UMD_DIR = join(dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')), 'dist', 'umd');

/** The path the page loads analytics-next from; its chunks are looked for next to it. */
export const ANALYTICS_NEXT_PATH = '/analytics-next/bundles/index.js';

/**
 * Serves analytics-next's own build from npm at /analytics-next/bundles/ of any site the context
 * opens, and cuts off Segment's servers: every request made there is recorded (tests expect none).
 */
export async function serveAnalyticsNext(context: BrowserContext): Promise<{ cdnRequests: string[] }> {
  const cdnRequests: string[] = [];
  await context.route('**/analytics-next/bundles/*', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
    if (!/^[\w.-]+\.js$/.test(name)) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(join(UMD_DIR, name)) });
  });
  await context.route(/^https?:\/\/([\w-]+\.)*segment\.(com|io)\//, (route) => {
    cdnRequests.push(route.request().url());
    return route.abort();
  });
  return { cdnRequests };
}

/**
 * A page that loads analytics-next as a site would, with the settings given inline (no settings
 * download from the CDN) and its Segment.io destination sending to `apiHost` over http.
 */
export function segmentPage(options: { writeKey: string; apiHost: string; batching?: boolean; body?: string }): string {
  const segmentIo: Record<string, unknown> = { apiKey: options.writeKey, apiHost: options.apiHost, protocol: 'http' };
  if (options.batching) segmentIo['deliveryStrategy'] = { strategy: 'batching', config: { size: 3, timeout: 200 } };
  const settings = { writeKey: options.writeKey, cdnSettings: { integrations: { 'Segment.io': segmentIo } } };
  return `<!doctype html><html><head><meta charset="utf-8"><title>Segment page</title>
<!-- analytics-next looks for its on-demand chunks under <_cdn>/analytics-next/bundles/: this site, not Segment's CDN -->
<script>window.analytics = { _cdn: location.origin };</script>
<script src="${ANALYTICS_NEXT_PATH}"></script>
<script>
window.analytics = AnalyticsNext.AnalyticsBrowser.load(${JSON.stringify(settings)});
</script></head><body>${options.body ?? ''}</body></html>`;
}
