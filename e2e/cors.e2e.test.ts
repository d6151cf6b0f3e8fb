import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { startSite, type Site } from './support/site-server.js';

const OPEN_SOURCE = 'cors-open';
const CLOSED_SOURCE = 'cors-closed';

/** What a page's script saw of a cross-origin POST /track. */
type Seen = { status: number; body: Record<string, unknown> } | { failed: string };

/**
 * POSTs from the page with credentials: 'include' and a custom header, as trackers do, and reads
 * the answer: Chromium only hands it over when the edge allowed credentials for this origin.
 */
function postFromPage(page: Page, url: string, body: string): Promise<Seen> {
  return page.evaluate(
    async ([target, text]) => {
      try {
        const response = await fetch(target, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-timestamp': String(Date.now()) }, body: text });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      } catch (error) {
        return { failed: String(error) };
      }
    },
    [url, body] as const,
  );
}

describe('CORS for credentialed requests from a page of another origin, in Chromium', () => {
  let app: TestInflow;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'false' });
    site = await startSite();
    for (const [id, allowedOrigins] of [[OPEN_SOURCE, [site.url]], [CLOSED_SOURCE, ['https://shop.example']]] as const) {
      expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id, allowedOrigins }) })).status).toBe(201);
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await app?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(site.page('/cors', '<!doctype html><title>cors</title>'));
  });
  afterEach(() => context.close());

  const track = (source: string, events: unknown[]) => JSON.stringify({ source: { id: source }, profile: { id: 'cors-p' }, session: { id: 'cors-s' }, events });

  it('delivers a sendBeacon with a JSON body (preflighted, credentials included)', async () => {
    const queued = await page.evaluate(
      ([url, body]) => navigator.sendBeacon(url, new Blob([body], { type: 'application/json' })),
      [`${app.publicUrl}/track`, track(OPEN_SOURCE, [{ id: 'cors-beacon', type: 'page-view' }])] as const,
    );
    expect(queued).toBe(true);
    expect(await app.eventually<{ id: string }>('/events/cors-beacon', () => true)).toMatchObject({ id: 'cors-beacon', profileId: 'cors-p' });
  });

  it('lets the page read the answer of a fetch with credentials, and a 400 with its reason', async () => {
    const ok = await postFromPage(page, `${app.publicUrl}/track`, track(OPEN_SOURCE, [{ id: 'cors-fetch', type: 'a' }]));
    expect(ok).toMatchObject({ status: 200, body: { profile: { id: 'cors-p' }, events: ['cors-fetch'] } });
    const bad = await postFromPage(page, `${app.publicUrl}/track`, track(OPEN_SOURCE, [{ type: '' }]));
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_payload', path: 'events.0.type' } } });
    const unknown = await postFromPage(page, `${app.publicUrl}/track`, track('no-such-source', [{ type: 'a' }]));
    expect(unknown).toMatchObject({ status: 403, body: { error: { code: 'unknown_source' } } });
  });

  it('keeps the answer from a page whose origin the source does not allow', async () => {
    const refused = await postFromPage(page, `${app.publicUrl}/track`, track(CLOSED_SOURCE, [{ id: 'cors-closed', type: 'a' }]));
    expect(refused).toMatchObject({ failed: expect.stringContaining('Failed to fetch') });
    expect((await app.api('/events/cors-closed')).status).toBe(404);
  });
});
