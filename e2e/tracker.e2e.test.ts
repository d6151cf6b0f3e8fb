import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { startSite, trackedPage, type Site } from './support/site-server.js';
import { trackerLoaded, trackNumbered, type StoredEvent } from './support/tracker-page.js';

describe('the tracker in Chromium against the running stack', () => {
  let app: TestInflow;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'true' });
    site = await startSite();
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
  });
  afterEach(() => context.close());

  /** The ids the tracker keeps in first-party cookies. */
  async function ids(): Promise<{ profileId: string; sessionId: string }> {
    const cookies = await context.cookies();
    const value = (name: string) => decodeURIComponent(cookies.find((c) => c.name === name)?.value ?? '');
    return { profileId: value('inflow_pid'), sessionId: value('inflow_sid').split('.')[0] ?? '' };
  }

  async function eventsOf(profileId: string, count: number, ms = 10_000): Promise<StoredEvent[]> {
    const body = await app.eventually<{ events: StoredEvent[] }>(`/profiles/${profileId}/events?limit=100`, (b) => b.events.length >= count, ms);
    return body.events;
  }

  it('sends page views and custom events that arrive with the right profile and session (calls before load replayed in order)', async () => {
    await page.goto(site.page('/basic', trackedPage(app.publicUrl, { flushMs: 100 }, '<script>inflow.page(); inflow.track("signup", { plan: "pro" });</script>')));
    const { profileId, sessionId } = await waitForIds();
    const events = await eventsOf(profileId, 2);
    expect(events.map((e) => e.type).sort()).toEqual(['page-view', 'signup']);
    for (const event of events) {
      expect(event.sessionId).toBe(sessionId);
      expect(event.context.page?.path).toBe('/basic');
    }
    expect(events.find((e) => e.type === 'signup')?.properties).toEqual({ plan: 'pro' });
  });

  it('delivers an event tracked right before navigating away', async () => {
    site.page('/elsewhere', '<!doctype html><title>elsewhere</title>');
    const body = `<a id="out" href="/elsewhere">leave</a><script>
      document.getElementById('out').addEventListener('click', function () { inflow.track('outbound-click', { to: '/elsewhere' }); });
    </script>`;
    await page.goto(site.page('/leave', trackedPage(app.publicUrl, { flushMs: 60000 }, body)));
    await trackerLoaded(page);
    await page.click('#out');
    await page.waitForURL('**/elsewhere');
    const { profileId } = await waitForIds();
    const events = await eventsOf(profileId, 1);
    expect(events.map((e) => e.type)).toEqual(['outbound-click']);
  });

  it('keeps events tracked offline and sends them after the network is back, across a reload, in the order tracked', async () => {
    const sent: number[] = [];
    page.on('request', (request) => {
      if (!request.url().endsWith('/track')) return;
      const payload = JSON.parse(request.postData() ?? '{}') as { events?: Array<{ type: string; properties: { i: number } }> };
      for (const event of payload.events ?? []) if (event.type === 'offline-event') sent.push(event.properties.i);
    });
    await page.goto(site.page('/offline', trackedPage(app.publicUrl, { flushMs: 100 })));
    await trackerLoaded(page);
    await context.setOffline(true);
    await trackNumbered(page, 'offline-event', 5);
    await page.waitForFunction(() =>
      Object.keys(localStorage).some((key) => key.startsWith('inflow:q:') && JSON.parse(localStorage.getItem(key) ?? '[]').length === 5),
    );
    expect(sent).toEqual([]);
    await context.setOffline(false);
    await page.reload();
    const { profileId } = await waitForIds();
    const events = await eventsOf(profileId, 5);
    expect(events.filter((e) => e.type === 'offline-event')).toHaveLength(5);
    // The reload's page hide may carry them by beacon first; the next page sends them again until
    // a response confirms them: its queue empties once they are confirmed.
    await page.waitForFunction(() => Object.keys(localStorage).every((key) => !key.startsWith('inflow:q:') || localStorage.getItem(key) === '[]'));
    expect(sent.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('retries after a 503 from the edge, honouring Retry-After', async () => {
    let calls = 0;
    await page.route('**/track', async (route) => {
      calls += 1;
      if (calls === 1) {
        await route.fulfill({ status: 503, headers: { 'retry-after': '1', 'access-control-allow-origin': site.url, 'access-control-expose-headers': 'retry-after' }, body: '{"error":{"code":"queue_unavailable","message":"busy"}}' });
      } else {
        await route.continue();
      }
    });
    await page.goto(site.page('/busy', trackedPage(app.publicUrl, { flushMs: 100 }, '<script>inflow.track("after-503");</script>')));
    const { profileId } = await waitForIds();
    const events = await eventsOf(profileId, 1);
    expect(events[0]?.type).toBe('after-503');
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('sends and stores nothing before consent when consent is required, and everything after', async () => {
    const requests: string[] = [];
    page.on('request', (request) => request.url().endsWith('/track') && requests.push(request.url()));
    await page.goto(site.page('/consent', trackedPage(app.publicUrl, { flushMs: 100, consentRequired: true }, '<script>inflow.track("needs-consent");</script>')));
    await trackerLoaded(page);
    await page.evaluate(() => (window as unknown as { inflow: { flush(): Promise<void> } }).inflow.flush());
    expect(requests).toEqual([]);
    expect((await context.cookies()).map((c) => c.name)).toEqual([]);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    await page.evaluate(() => (window as unknown as { inflow: { consent(v: boolean): void } }).inflow.consent(true));
    const { profileId } = await waitForIds();
    const events = await eventsOf(profileId, 1);
    expect(events[0]?.type).toBe('needs-consent');
  });

  it('records the route changes of a single-page app built with the npm package', async () => {
    await page.goto(`${app.publicUrl}/spa/`);
    await page.click('text=Products');
    await page.click('#buy');
    await page.click('text=About');
    const { profileId } = await waitForIds();
    const events = await eventsOf(profileId, 4);
    const views = events.filter((e) => e.type === 'page-view').map((e) => e.context.page?.path).sort();
    expect(views).toEqual(['/spa/', '/spa/about', '/spa/products']);
    expect(events.some((e) => e.type === 'add-to-cart')).toBe(true);
  });

  it('records route changes with the page-views add-on, loaded before or after the tracker, and the collector reads UTM from the address', async () => {
    const sent: string[] = [];
    page.on('request', (request) => void (request.url().endsWith('/track') && sent.push(request.postData() ?? '')));
    const addOn = `<script async src="${app.publicUrl}/inflow.page-views.min.js"></script>`;
    const routes = '<script>function go(p) { history.pushState({}, "", p); }</script>';
    // The add-on's script tag right after the snippet: it may run before the tracker loads.
    await page.goto(site.page('/spa-tag', trackedPage(app.publicUrl, { flushMs: 100 }, addOn + routes)) + '?utm_source=ads&utm_id=7');
    await trackerLoaded(page);
    await page.waitForFunction(() => history.pushState.toString().indexOf('native code') < 0);
    await page.evaluate(() => (window as unknown as { go(p: string): void }).go('/spa-tag/products'));
    await page.evaluate(() => history.replaceState({}, '', location.href)); // the same address: no new view
    await page.evaluate(() => (window as unknown as { go(p: string): void }).go('/spa-tag/about'));
    const { profileId } = await waitForIds();
    const events = await eventsOf(profileId, 3);
    const views = events.filter((e) => e.type === 'page-view');
    expect(views.map((e) => e.context.page?.path).sort()).toEqual(['/spa-tag', '/spa-tag/about', '/spa-tag/products']);
    const landing = views.find((e) => e.context.page?.path === '/spa-tag') as StoredEvent & { context: { utm?: unknown } };
    expect(landing.context.utm).toEqual({ source: 'ads', id: '7' });
    expect(sent.length).toBeGreaterThan(0);
    for (const body of sent) expect(JSON.parse(body).context).not.toHaveProperty('utm');

    // Added once the tracker is loaded: through ready(), the same page views.
    const later = await context.newPage();
    await later.goto(site.page('/spa-late', trackedPage(app.publicUrl, { flushMs: 100 }, routes)));
    await trackerLoaded(later);
    await later.addScriptTag({ url: `${app.publicUrl}/inflow.page-views.min.js` });
    await later.waitForFunction(() => history.pushState.toString().indexOf('native code') < 0);
    await later.evaluate(() => (window as unknown as { go(p: string): void }).go('/spa-late/cart'));
    const lateViews = (await eventsOf(profileId, 5)).filter((e) => e.type === 'page-view' && e.context.page?.path?.startsWith('/spa-late'));
    expect(lateViews.map((e) => e.context.page?.path).sort()).toEqual(['/spa-late', '/spa-late/cart']);
  });

  it('keeps calls made before init, and the add-on loaded before the snippet, twice, still sends one page view per route', async () => {
    const addOn = `<script src="${app.publicUrl}/inflow.page-views.min.js"></script>`;
    const html = trackedPage(app.publicUrl, { flushMs: 100 }, '<script>inflow.track("before-init"); function go(p) { history.pushState({}, "", p); }</script>')
      .replace('<script>\n!function', `${addOn}${addOn}<script>\n!function`)
      .replace(/inflow\.init\((.*)\);/, 'setTimeout(function () { inflow.init($1); }, 300);');
    await page.goto(site.page('/late-init', html));
    await trackerLoaded(page);
    await page.waitForFunction(() => history.pushState.toString().indexOf('native code') < 0);
    await page.evaluate(() => (window as unknown as { go(p: string): void }).go('/late-init/next'));
    const { profileId } = await waitForIds();
    await eventsOf(profileId, 3);
    // Whatever else the page would send (a second add-on's page views) has gone too.
    await page.evaluate(() => (window as unknown as { inflow: { flush(): Promise<void> } }).inflow.flush());
    await page.waitForTimeout(500);
    const all = await eventsOf(profileId, 3);
    expect(all.filter((e) => e.type === 'before-init')).toHaveLength(1);
    expect(all.filter((e) => e.type === 'page-view').map((e) => e.context.page?.path).sort()).toEqual(['/late-init', '/late-init/next']);
  });

  it('sends no page view by itself without the add-on (the default script tag)', async () => {
    await page.goto(site.page('/no-views', trackedPage(app.publicUrl, { flushMs: 100 }, '<script>inflow.track("only-this");</script>')));
    const { profileId } = await waitForIds();
    await page.evaluate(() => (window as unknown as { inflow: { flush(): Promise<void> } }).inflow.flush());
    const events = await eventsOf(profileId, 1);
    expect(events.map((e) => e.type)).toEqual(['only-this']);
  });

  it('hands the queue of a closed tab to exactly one other tab', async () => {
    const url = site.page('/tabs', trackedPage(app.publicUrl, { flushMs: 100 }));
    await page.goto(url);
    await trackerLoaded(page);
    await context.setOffline(true);
    await trackNumbered(page, 'orphan', 3);
    await page.waitForTimeout(500);
    const { profileId } = await waitForIds();
    await page.close();
    await context.setOffline(false);

    const sent: string[] = [];
    const tabs = await Promise.all([context.newPage(), context.newPage()]);
    for (const tab of tabs) {
      tab.on('request', (request) => {
        if (!request.url().endsWith('/track')) return;
        const payload = JSON.parse(request.postData() ?? '{}') as { events?: Array<{ id: string; type: string }> };
        for (const event of payload.events ?? []) if (event.type === 'orphan') sent.push(event.id);
      });
    }
    await Promise.all(tabs.map((tab) => tab.goto(url)));
    const events = await eventsOf(profileId, 3);
    await tabs[0]?.waitForTimeout(1_000);
    expect(events.filter((e) => e.type === 'orphan')).toHaveLength(3);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(3);
  }, 30_000);

  async function waitForIds(): Promise<{ profileId: string; sessionId: string }> {
    for (let i = 0; i < 100; i++) {
      const found = await ids();
      if (found.profileId) return found;
      await page.waitForTimeout(50);
    }
    throw new Error('the tracker set no profile cookie');
  }
});
