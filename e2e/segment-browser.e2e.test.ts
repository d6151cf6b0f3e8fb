import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { serveAnalyticsNext, segmentPage } from './support/segment-page.js';
import { startSite, type Site } from './support/site-server.js';

interface StoredEvent {
  id: string;
  type: string;
  profileId: string;
  sessionId: string;
  properties: Record<string, unknown>;
  context: { page?: { url?: string; path?: string }; segment?: Record<string, string> };
}

const WRITE_KEY = 'segment-browser-key';

/** The loaded analytics (AnalyticsBrowser) of the page, as the test drives it. */
interface PageAnalytics {
  page(name?: string, properties?: object): Promise<unknown>;
  track(event: string, properties?: object): Promise<unknown>;
  identify(userId: string, traits?: object): Promise<unknown>;
  group(groupId: string, traits?: object): Promise<unknown>;
  alias(userId: string, previousId?: string): Promise<unknown>;
  screen(name: string, properties?: object): Promise<unknown>;
  user(): Promise<{ anonymousId(): string | null }>;
}

describe('@segment/analytics-next in Chromium, sending to the edge', () => {
  let app: TestInflow;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdnRequests: string[];
  let responses: Array<{ url: string; status: number }>;
  let authorizations: string[];

  beforeAll(async () => {
    app = await startInflow();
    site = await startSite();
    browser = await launchChromium();
    // Only the site's origin may send to this source.
    const created = await app.api('/sources', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: WRITE_KEY, allowedOrigins: [site.url] }) });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await app?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    ({ cdnRequests } = await serveAnalyticsNext(context));
    page = await context.newPage();
    responses = [];
    authorizations = [];
    page.on('request', (request) => {
      if (request.url().startsWith(app.publicUrl)) authorizations.push(request.headers()['authorization'] ?? '');
    });
    page.on('response', (response) => {
      if (response.url().startsWith(app.publicUrl)) responses.push({ url: response.url(), status: response.status() });
    });
  });
  afterEach(() => context.close());

  const apiHost = (): string => `${new URL(app.publicUrl).host}/v1`;

  function call<K extends keyof PageAnalytics>(name: K, ...args: unknown[]): Promise<unknown> {
    return page.evaluate(
      async ([method, params]) => {
        const analytics = (window as unknown as { analytics: Record<string, (...a: unknown[]) => Promise<unknown>> }).analytics;
        await (analytics[method] as (...a: unknown[]) => Promise<unknown>)(...params);
        return null;
      },
      [name, args] as const,
    );
  }

  async function eventsOf(profileId: string, count: number): Promise<StoredEvent[]> {
    const body = await app.eventually<{ events: StoredEvent[] }>(`/profiles/${encodeURIComponent(profileId)}/events?limit=100`, (b) => b.events.length >= count, 15_000);
    return body.events;
  }

  it('delivers page, track, identify, group, alias and screen calls (one request each, with the write key in Basic auth, preflighted)', async () => {
    await page.goto(site.page('/landing', segmentPage({ writeKey: WRITE_KEY, apiHost: apiHost() })) + '?utm_source=ads&utm_medium=cpc');
    await call('page', 'Landing', { variant: 'b' });
    await call('track', 'Signed Up', { plan: 'pro' });
    const anonymousId = await page.evaluate(async () => {
      const analytics = (window as unknown as { analytics: PageAnalytics }).analytics;
      return (await analytics.user()).anonymousId();
    });
    expect(anonymousId).toBeTruthy();
    await call('identify', 'browser-user', { email: 'ann@shop.test' });
    await call('group', 'acme', { name: 'Acme' });
    await call('alias', 'browser-user', anonymousId);
    await call('screen', 'Dashboard');

    // Before identify the visitor is the anonymousId.
    const anonymous = await eventsOf(String(anonymousId), 2);
    expect(anonymous.map((e) => e.type).sort()).toEqual(['Signed Up', 'page-view']);
    const pageView = anonymous.find((e) => e.type === 'page-view');
    expect(pageView?.properties).toMatchObject({ name: 'Landing', variant: 'b', path: '/landing' });
    expect(pageView?.context.page?.path).toBe('/landing');
    const { sessions } = await app.eventually<{ sessions: Array<{ utm?: Record<string, string>; landingPage?: { path?: string } }> }>(
      `/profiles/${encodeURIComponent(String(anonymousId))}/sessions`,
      (b) => b.sessions.length === 1,
    );
    expect(sessions[0]).toMatchObject({ utm: { source: 'ads', medium: 'cpc' }, landingPage: { path: '/landing' } });

    // After identify, the user; the anonymousId stays in the context.
    const known = await eventsOf('browser-user', 4);
    expect(known.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'screen-view']);
    expect(known.find((e) => e.type === 'identify')?.context.segment).toEqual({ userId: 'browser-user', anonymousId: String(anonymousId), timestamp: expect.any(String) });
    expect(known.find((e) => e.type === 'alias')?.properties).toEqual({ previousId: anonymousId, userId: 'browser-user' });
    expect(known.find((e) => e.type === 'group')?.properties).toEqual({ groupId: 'acme', traits: { name: 'Acme' } });
    const profile = await app.eventually<{ traits: Record<string, unknown> }>('/profiles/browser-user', (p) => p.traits['email'] !== undefined);
    expect(profile.traits).toMatchObject({ email: 'ann@shop.test' });

    const paths = responses.map((r) => `${new URL(r.url).pathname} ${r.status}`);
    expect(paths.sort()).toEqual(['/v1/a 200', '/v1/g 200', '/v1/i 200', '/v1/p 200', '/v1/s 200', '/v1/t 200']);
    // The write key travels in Basic auth, which a cross-origin request may only send after a preflight.
    expect(new Set(authorizations)).toEqual(new Set([`Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`]));
    expect(cdnRequests).toEqual([]);
  });

  it('delivers with the batching strategy (/v1/b), every event once', async () => {
    await page.goto(site.page('/batched', segmentPage({ writeKey: WRITE_KEY, apiHost: apiHost(), batching: true })));
    await page.evaluate(() => {
      const analytics = (window as unknown as { analytics: PageAnalytics }).analytics;
      void analytics.identify('batch-user');
      for (let i = 0; i < 5; i++) void analytics.track('Step', { i });
    });
    const events = await eventsOf('batch-user', 6);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await eventsOf('batch-user', 6)).toHaveLength(6);
    expect(events.filter((e) => e.type === 'Step').map((e) => e.properties['i']).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(responses.every((r) => new URL(r.url).pathname === '/v1/b' && r.status === 200)).toBe(true);
    expect(responses.length).toBeGreaterThanOrEqual(2);
    expect(cdnRequests).toEqual([]);
  });

  it('is refused from an origin the source does not allow: the browser sees a CORS failure, nothing is stored', async () => {
    const failed: string[] = [];
    page.on('requestfailed', (request) => {
      if (request.url().startsWith(app.publicUrl)) failed.push(new URL(request.url()).pathname);
    });
    await page.goto(site.page('/other', segmentPage({ writeKey: WRITE_KEY, apiHost: apiHost() })).replace('127.0.0.1', 'localhost'));
    await call('track', 'Blocked');
    await expect.poll(() => failed.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(failed[0]).toBe('/v1/t');
    expect(responses).toEqual([]);
    // The same request outside the browser: refused by the source, and without CORS headers the page cannot read it.
    const direct = await fetch(`${app.publicUrl}/v1/t`, {
      method: 'POST',
      headers: { origin: new URL(page.url()).origin, authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ userId: 'u', event: 'Blocked' }),
    });
    expect(direct.status).toBe(403);
    expect(direct.headers.get('access-control-allow-origin')).toBeNull();
    const { events } = (await (await app.api('/events?limit=100')).json()) as { events: StoredEvent[] };
    expect(events.some((e) => e.type === 'Blocked')).toBe(false);
  });
});
