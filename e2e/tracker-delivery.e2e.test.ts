import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { startSite, trackedPage, type Site } from './support/site-server.js';
import {
  countById,
  interceptTrack,
  queuedInStorage,
  runClock,
  storedEvents,
  trackerLoaded,
  trackNumbered,
  until,
  type PageInflow,
  type TrackRequest,
} from './support/tracker-page.js';

/** Lets the page handle what the network answered before the fake clock moves on. */
const settle = (page: Page) => () => page.evaluate(() => undefined);

describe('tracker delivery through outages, 503 storms, reloads and tabs (Chromium, real edge)', () => {
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

  const profileOf = async (p: Page): Promise<string> => p.evaluate(() => (window as unknown as { inflow: { profileId?: () => string } }).inflow.profileId?.() ?? '');

  it('loses nothing through a 20-minute outage with a reload in it, then stores each event once, in the order tracked', async () => {
    let outage = true;
    const passed: TrackRequest[] = [];
    const requests = await interceptTrack(page, async (request, route) => {
      if (outage) return route.abort('internetdisconnected');
      passed.push(request);
      return route.continue();
    });
    await page.clock.install();
    const url = site.page('/outage', trackedPage(app.publicUrl, { flushMs: 100 }));
    await page.goto(url);
    await trackerLoaded(page);
    await trackNumbered(page, 'outage', 30);
    await runClock(page, 600_000, 10_000, settle(page));
    await page.reload();
    await trackerLoaded(page);
    await trackNumbered(page, 'outage', 10, 30);
    await runClock(page, 600_000, 10_000, settle(page));

    expect(requests.length).toBeGreaterThan(15); // the old tracker gave up after 10 attempts
    const queued = await queuedInStorage(page);
    expect(new Set(queued.filter((q) => q.type === 'outage').map((q) => q.id)).size).toBe(40);

    outage = false;
    const profileId = await profileOf(page);
    await runClock(page, 120_000, 10_000, settle(page));
    const stored = (await storedEvents(app, profileId, 40)).filter((e) => e.type === 'outage');
    expect([...countById(stored).values()]).toEqual(Array(40).fill(1));
    const delivered = passed.flatMap((r) => r.events.map((e) => e.properties['i']));
    expect(delivered).toEqual([...Array(40).keys()]);
    await until(async () => (await queuedInStorage(page)).length === 0, 'the stored queue to empty');
  }, 60_000);

  it('waits out a storm of 503 with Retry-After: no request before it ends, whatever calls flush() or track()', async () => {
    await page.clock.install();
    // The page's (fake) time of each /track request, taken when the tracker calls fetch.
    await page.addInitScript(() => {
      const times: number[] = [];
      (window as unknown as { trackTimes: number[] }).trackTimes = times;
      const original = window.fetch.bind(window);
      window.fetch = (input, init) => {
        if (String(input).endsWith('/track')) times.push(Date.now());
        return original(input, init);
      };
    });
    let failing = 4;
    const retryAfterSeconds = 45;
    const requests = await interceptTrack(page, async (_request, route: Route) => {
      if (failing-- > 0) {
        return route.fulfill({
          status: 503,
          headers: { 'retry-after': String(retryAfterSeconds), 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' },
          body: '{"error":{"code":"queue_unavailable","message":"busy"}}',
        });
      }
      return route.continue();
    });
    await page.goto(site.page('/storm', trackedPage(app.publicUrl, { flushMs: 100 })));
    await trackerLoaded(page);
    await trackNumbered(page, 'storm', 5);
    for (let step = 0; step < 24; step++) {
      // Every way of asking to send, all through the storm.
      await page.evaluate((i) => {
        const inflow = (window as unknown as { inflow: PageInflow }).inflow;
        void inflow.track('storm', { i }, { processed: i % 2 === 0 });
        void inflow.flush();
      }, 5 + step);
      await runClock(page, 10_000, 10_000, settle(page));
    }
    await until(() => requests.length >= 5, 'the storm to end');
    const attempts = await page.evaluate(() => (window as unknown as { trackTimes: number[] }).trackTimes);
    const gaps = attempts.slice(1, 5).map((time, index) => time - (attempts[index] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
    const profileId = await profileOf(page);
    await runClock(page, 60_000, 10_000, settle(page));
    const stored = (await storedEvents(app, profileId, 29)).filter((e) => e.type === 'storm');
    expect(stored).toHaveLength(29);
    expect(countById(stored).size).toBe(29);
  }, 60_000);

  it('keeps what a beacon carried on page hide until a response confirms it; sending it again stores it once', async () => {
    const requests = await interceptTrack(page, (_request, route) => route.continue());
    await page.goto(site.page('/hide', trackedPage(app.publicUrl, { flushMs: 600_000 })));
    await trackerLoaded(page);
    await trackNumbered(page, 'hidden', 2);
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
    await until(async () => (await queuedInStorage(page)).every((q) => q.beacon) && (await queuedInStorage(page)).length === 2, 'the events to be marked as sent by beacon');
    const profileId = await profileOf(page);
    await storedEvents(app, profileId, 2); // the beacon did arrive
    // Still queued: a beacon has no answer to read. The next page sends them again.
    await page.reload();
    await trackerLoaded(page);
    await until(async () => (await queuedInStorage(page)).length === 0, 'the resent events to be confirmed');
    const resent = requests.flatMap((r) => r.events.map((e) => e.id));
    const stored = (await storedEvents(app, profileId, 2)).filter((e) => e.type === 'hidden');
    expect(stored).toHaveLength(2);
    for (const event of stored) expect(resent.filter((id) => id === event.id).length).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('two tabs tracking through an outage: after recovery every event of both is stored exactly once', async () => {
    let outage = true;
    const second = await context.newPage();
    const tabs = [page, second];
    for (const tab of tabs) await interceptTrack(tab, (_request, route) => (outage ? route.abort('internetdisconnected') : route.continue()));
    const url = site.page('/two-tabs', trackedPage(app.publicUrl, { flushMs: 100 }));
    for (const tab of tabs) {
      await tab.goto(url);
      await trackerLoaded(tab);
    }
    await trackNumbered(page, 'tab-a', 15);
    await trackNumbered(second, 'tab-b', 15);
    await until(async () => (await queuedInStorage(page)).length === 30, 'both queues to be stored');
    await second.reload(); // one tab reloads mid-outage: its queue is adopted, by one page only
    await trackerLoaded(second);
    outage = false;
    await page.evaluate(() => (window as unknown as { inflow: PageInflow }).inflow.flush());
    await second.evaluate(() => (window as unknown as { inflow: PageInflow }).inflow.flush());
    const profileId = await profileOf(page);
    const stored = (await storedEvents(app, profileId, 30, 30_000)).filter((e) => e.type.startsWith('tab-'));
    expect(stored).toHaveLength(30);
    expect([...countById(stored).values()].every((n) => n === 1)).toBe(true);
  }, 60_000);

  it('drops only the event the edge rejects in an accepted batch, delivers the others, and does not send the batch again', async () => {
    const strict = await startInflow({ INFLOW_SERVE_DEMO: 'true', INFLOW_MAX_EVENT_BYTES: '1024' });
    try {
      const requests = await interceptTrack(page, (_request, route) => route.continue());
      const body = `<script>inflow.track("fine-1"); inflow.track("too-big-for-this-edge", { text: "${'x'.repeat(2000)}" }); inflow.track("fine-2");</script>`;
      await page.goto(site.page('/rejected', trackedPage(strict.publicUrl, { flushMs: 100 }, body)));
      await trackerLoaded(page);
      const profileId = await profileOf(page);
      const stored = await storedEvents(strict, profileId, 2);
      expect(stored.map((e) => e.type).sort()).toEqual(['fine-1', 'fine-2']);
      await until(async () => (await queuedInStorage(page)).length === 0, 'the queue to empty');
      expect(requests).toHaveLength(1);
      expect(requests[0]?.events.map((e) => e.type)).toEqual(['fine-1', 'too-big-for-this-edge', 'fine-2']);
    } finally {
      await strict.close();
    }
  }, 30_000);
});
