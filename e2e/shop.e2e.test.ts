import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { flushTracker, pathOf, profileCookie, sentEvents, trackerStorage, typesByTime, type StoredEvent } from './support/shop-page.js';

interface StoredProfile {
  id: string;
  eventCount: number;
  traits: Record<string, unknown>;
}

/** What a visitor does in the first test, and the events it means, in order. */
const JOURNEY = [
  'page-view', // the catalog, held until the visitor accepts
  'page-view', // the mug's page
  'product-viewed',
  'product-added', // one mug
  'page-view', // back to the catalog
  'product-added', // one fern, from its card
  'page-view', // the cart
  'product-added', // the mug's quantity raised to 2
  'page-view', // checkout
  'checkout-started',
  'identify',
  'order-completed',
  'page-view', // the confirmation
] as const;

describe('the demo shop in Chromium, served by the edge', () => {
  let app: TestInflow;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let trackRequests: string[];

  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'true' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    context.setDefaultTimeout(10_000); // a step that fails says which, before the test's own timeout
    page = await context.newPage();
    trackRequests = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/track') trackRequests.push(request.postData() ?? '');
    });
  });
  afterEach(() => context.close());

  async function storedEvents(profileId: string, count: number): Promise<StoredEvent[]> {
    const body = await app.eventually<{ events: StoredEvent[] }>(`/profiles/${profileId}/events?limit=100`, (b) => b.events.length >= count);
    return body.events;
  }

  it('records a visit from the catalog to the order confirmation: events in order, the order, the traits, and the live panel shows them', async () => {
    await page.goto(`${app.publicUrl}/`);
    await page.click('[data-test=consent-accept]');
    await page.click('[data-product=aurora-mug] .card-art');
    await page.waitForSelector('[data-test=product-detail][data-product=aurora-mug]');
    await page.click('[data-test=add-to-cart]');
    await page.click('.brand');
    await page.click('[data-product=desk-fern] [data-test=quick-add]');
    await page.click('[data-test=cart-link]');
    await page.click('[data-test=cart-line][data-product=aurora-mug] [data-test=increase]');
    await page.waitForSelector('[data-test=cart-line][data-product=aurora-mug] [data-test=line-quantity]:text-is("2")');
    expect(await page.textContent('[data-test=summary] [data-test=total]')).toBe('€60.00');
    await page.click('[data-test=checkout]');
    await page.fill('[data-test=email]', 'jane@example.com');
    await page.fill('[data-test=name]', 'Jane Doe');
    await page.click('[data-test=place-order]');
    const orderId = (await page.textContent('[data-test=order-confirmation] [data-test=order-id]')) ?? '';
    expect(orderId).toMatch(/^ORD-[0-9A-Z]{6}$/);
    expect(await page.textContent('[data-test=cart-count]')).toBe('0');

    const profileId = await profileCookie(context);
    expect(profileId).not.toBe('');
    const events = await storedEvents(profileId, JOURNEY.length);
    expect(events).toHaveLength(JOURNEY.length);
    expect(new Set(events.map((e) => e.profileId))).toEqual(new Set([profileId]));
    expect(typesByTime(events, JOURNEY)).toEqual(JOURNEY);
    const oldestFirst = [...events].reverse();
    expect(oldestFirst.filter((e) => e.type === 'page-view').map(pathOf)).toEqual(['/', '/products/aurora-mug', '/', '/cart', '/checkout', `/orders/${orderId}`]);
    expect(events.find((e) => e.type === 'product-viewed')?.properties).toMatchObject({ product_id: 'aurora-mug', price: 18, currency: 'EUR' });
    expect(events.find((e) => e.type === 'checkout-started')?.properties).toMatchObject({ total: 60, currency: 'EUR' });
    expect(events.find((e) => e.type === 'order-completed')?.properties).toEqual({
      order_id: orderId,
      total: 60,
      currency: 'EUR',
      items: [
        { product_id: 'aurora-mug', name: 'Aurora mug', price: 18, quantity: 2 },
        { product_id: 'desk-fern', name: 'Desk fern', price: 24, quantity: 1 },
      ],
    });
    // Every event the page saw leave is stored, once.
    const sent = await sentEvents(page);
    expect(sent.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());

    const profile = await app.eventually<StoredProfile>(`/profiles/${profileId}`, (p) => p.eventCount === JOURNEY.length);
    expect(profile.traits).toMatchObject({ email: 'jane@example.com', name: 'Jane Doe' });

    await page.click('[data-test=panel-toggle]');
    await page.waitForSelector(`[data-test=live-panel] [data-test=profile-id]:text-is("${profileId}")`);
    await page.waitForSelector(`[data-test=profile-event-count]:text-is("${JOURNEY.length}")`);
    expect(await page.textContent('[data-test=traits]')).toContain('jane@example.com');
    expect(await page.locator('[data-test=sent-events] [data-test=event]').count()).toBe(JOURNEY.length);
    const storedTypes = await page.locator('[data-test=stored-events] [data-test=event]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-type')));
    expect(storedTypes).toEqual(events.map((e) => e.type));
  });

  it('answers GET /demo/profile only for the tracker cookie the browser sends, never for an id in the query', async () => {
    await page.goto(`${app.publicUrl}/`);
    await page.click('[data-test=consent-accept]');
    const profileId = await profileCookie(context);
    await storedEvents(profileId, 1);
    const own = await page.evaluate(() => fetch('/demo/profile').then((r) => r.json() as Promise<{ state: string; profile: { id: string } | null }>));
    expect(own.state).toBe('found');
    expect(own.profile?.id).toBe(profileId);
    const anonymous = await fetch(`${app.publicUrl}/demo/profile?id=${profileId}`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ state: 'no-cookie', profile: null, sessions: [], events: [] });
  });

  it('sends and keeps nothing while the visitor rejects; accepting later sends only what follows', async () => {
    const started = new Date().toISOString();
    await page.goto(`${app.publicUrl}/`);
    await page.click('[data-test=consent-reject]');
    await page.click('[data-product=trail-pack] .card-art');
    await page.click('[data-test=add-to-cart]');
    await flushTracker(page);
    expect(trackRequests).toEqual([]);
    expect(await trackerStorage(context, page)).toEqual({ cookies: [], localStorage: [] });
    await page.click('[data-test=panel-toggle]');
    await page.waitForSelector('[data-test=sent-events] :text("you rejected analytics")');
    await page.click('[data-test=panel-toggle]');

    // The visitor changes their mind in the privacy settings, on the same page.
    await page.click('[data-test=privacy-settings]');
    await page.check('[data-test=consent-analytics]');
    await page.click('[data-test=consent-choose]');
    await page.click('[data-test=add-to-cart]');
    await flushTracker(page);
    const profileId = await profileCookie(context);
    const events = await storedEvents(profileId, 1);
    expect(events.map((e) => [e.type, e.properties['product_id']])).toEqual([['product-added', 'trail-pack']]);
    const all = await app.eventually<{ events: StoredEvent[] }>('/events?limit=200', () => true);
    expect(all.events.filter((e) => e.receivedAt >= started).map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(trackRequests).toHaveLength(1);
  });

  it('sends nothing when the visitor chooses marketing only (the shop tracks analytics)', async () => {
    await page.goto(`${app.publicUrl}/`);
    await page.click('[data-test=consent-choose]');
    await page.check('[data-test=consent-marketing]');
    await page.click('[data-test=consent-choose]');
    await page.click('[data-test=quick-add] >> nth=1');
    await flushTracker(page);
    expect(trackRequests).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem('shop.consent'))).toBe('{"analytics":false,"marketing":true}');
  });
});

describe('the demo shop when the demo is off', () => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'false' });
  });
  afterAll(() => app?.close());

  it('serves neither the shop nor its read route', async () => {
    for (const path of ['/', '/shop/app.js', '/demo/profile']) {
      expect((await fetch(`${app.publicUrl}${path}`, { headers: { cookie: 'inflow_pid=0d9f7c1e-8a2b-4c3d-9e4f-5a6b7c8d9e0f' } })).status, path).toBe(404);
    }
  });
});
