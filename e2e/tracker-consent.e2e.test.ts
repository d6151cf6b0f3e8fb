import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { startSite, trackedPage, type Site } from './support/site-server.js';
import { interceptTrack, storedEvents, trackerCookies, trackerLoaded, trackerStorageKeys, until, type PageInflow } from './support/tracker-page.js';

const inflow = (page: Page) => page.evaluate.bind(page);

describe('tracker consent, cookieless mode and validation (Chromium, real edge)', () => {
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

  const profileOf = (p: Page): Promise<string> => p.evaluate(() => (window as unknown as { inflow: { profileId(): string } }).inflow.profileId());

  it('stores and sends nothing before consent; then only granted categories; opting out purges queue, cookies and storage', async () => {
    const requests = await interceptTrack(page, (_request, route) => route.continue());
    const body = '<script>inflow.track("viewed"); inflow.track("ad-shown", {}, { category: "marketing" });</script>';
    await page.goto(site.page('/consent', trackedPage(app.publicUrl, { flushMs: 50, consentRequired: true }, body)));
    await trackerLoaded(page);
    await page.evaluate(() => (window as unknown as { inflow: PageInflow }).inflow.flush());
    expect(await trackerCookies(context)).toEqual([]);
    expect(await trackerStorageKeys(page)).toEqual([]);
    expect(requests).toEqual([]);

    await inflow(page)(() => (window as unknown as { inflow: PageInflow }).inflow.consent({ analytics: true, marketing: false }));
    await inflow(page)(() => void (window as unknown as { inflow: PageInflow }).inflow.track('ad-click', {}, { category: 'marketing' }));
    const profileId = await profileOf(page);
    const stored = await storedEvents(app, profileId, 1);
    expect(stored.map((e) => e.type)).toEqual(['viewed']);
    expect((await trackerCookies(context)).sort()).toEqual(['inflow_pid', 'inflow_sid']);
    expect(requests.flatMap((r) => r.events.map((e) => e.type))).toEqual(['viewed']);

    // Offline, an event waits in storage; opting out must take it and the ids away.
    await context.setOffline(true);
    await inflow(page)(() => void (window as unknown as { inflow: PageInflow }).inflow.track('queued-then-withdrawn'));
    await until(async () => (await trackerStorageKeys(page)).some((key) => key.startsWith('inflow:q:')), 'the queue to be stored');
    await inflow(page)(() => (window as unknown as { inflow: PageInflow }).inflow.consent(false));
    expect(await trackerCookies(context)).toEqual([]);
    expect(await trackerStorageKeys(page)).toEqual([]);
    await context.setOffline(false);
    await inflow(page)(() => void (window as unknown as { inflow: PageInflow }).inflow.track('after-opt-out'));
    await page.evaluate(() => (window as unknown as { inflow: PageInflow }).inflow.flush());
    expect(await trackerCookies(context)).toEqual([]);
    expect(await trackerStorageKeys(page)).toEqual([]);
    expect(requests.flatMap((r) => r.events.map((e) => e.type))).toEqual(['viewed']);
  });

  it('in cookieless mode keeps the ids in memory only, and still delivers', async () => {
    await page.goto(site.page('/cookieless', trackedPage(app.publicUrl, { flushMs: 50, cookieless: true }, '<script>inflow.track("no-cookies");</script>')));
    await trackerLoaded(page);
    const profileId = await profileOf(page);
    const stored = await storedEvents(app, profileId, 1);
    expect(stored.map((e) => e.type)).toEqual(['no-cookies']);
    expect(await trackerCookies(context)).toEqual([]);
    expect(await trackerStorageKeys(page)).toEqual([]);
  });

  it('refuses an unserialisable or over-long event at track() with a clear error, keeps no bad id, and keeps working', async () => {
    const requests = await interceptTrack(page, (_request, route) => route.continue());
    await page.goto(site.page('/invalid', trackedPage(app.publicUrl, { flushMs: 50 })));
    await trackerLoaded(page);
    const errors = await page.evaluate(async () => {
      const api = (window as unknown as { inflow: PageInflow }).inflow;
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      const outcomes: string[] = [];
      for (const call of [
        () => api.track('with-bigint', { n: BigInt(1) }),
        () => api.track('circular', circular),
        () => api.track('t'.repeat(200)),
        () => api.identify('x'.repeat(200)),
      ]) {
        outcomes.push(await call().then(() => 'accepted', (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`));
      }
      await api.track('still-working', { ok: true });
      return outcomes;
    });
    expect(errors).toEqual([
      expect.stringMatching(/^unserializable: \[inflow\] unserializable at properties \(TypeError: .*BigInt/),
      expect.stringMatching(/^unserializable: /),
      expect.stringMatching(/^invalid_event: \[inflow\] invalid_event at type/),
      expect.stringMatching(/^invalid_id: \[inflow\] invalid_id at profileId/),
    ]);
    const profileId = await profileOf(page);
    expect(profileId).toHaveLength(36);
    const cookie = (await context.cookies()).find((c) => c.name === 'inflow_pid');
    expect(cookie?.value).toBe(profileId);
    const stored = await storedEvents(app, profileId, 1);
    expect(stored.map((e) => e.type)).toEqual(['still-working']);
    // Page context went once, at the top of the request, and storage still has it on the event.
    expect(requests[0]?.context).toMatchObject({ page: { path: '/invalid' } });
    expect(requests[0]?.events[0]).not.toHaveProperty('context');
    expect(stored[0]?.context.page?.path).toBe('/invalid');
  });
});
