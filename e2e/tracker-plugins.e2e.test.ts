import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { startSite, type Site } from './support/site-server.js';
import { interceptTrack, storedEvents, until } from './support/tracker-page.js';

const esm = fileURLToPath(new URL('../packages/sdk/dist/esm', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** A page of an app built on the npm package (its ES modules served as they are), with the opt-in plugins. */
function pluginPage(edgeUrl: string, body: string, plugins: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>plugins</title></head><body>${body}
<script type="module">
import { createTracker, autocapture, crossDomainLinking } from '/sdk/index.js';
window.tracker = createTracker({ endpoint: ${JSON.stringify(edgeUrl)}, sourceId: 'demo', flushMs: 50, plugins: [${plugins}] });
window.trackerReady = true;
</script></body></html>`;
}

interface PageTracker {
  profileId(): string;
  flush(): Promise<void>;
  track(type: string): Promise<unknown>;
}
const ready = (page: Page) => page.waitForFunction(() => (window as unknown as { trackerReady?: boolean }).trackerReady === true);
const profileOf = (page: Page) => page.evaluate(() => (window as unknown as { tracker: PageTracker }).tracker.profileId());

describe('opt-in tracker plugins in Chromium (npm build, real edge)', () => {
  let app: TestInflow;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'true' });
    site = await startSite();
    for (const file of filesUnder(esm)) site.asset(`/sdk/${relative(esm, file)}`, readFileSync(file, 'utf8'), 'text/javascript');
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

  it('autocapture records clicks and form submissions, never what was typed', async () => {
    const body = `<a id="promo" href="#promo">Summer sale</a>
      <form id="newsletter" action="/subscribe" onsubmit="event.preventDefault()"><input name="email"><button id="join" type="submit">Join</button></form>`;
    await page.goto(site.page('/autocapture', pluginPage(app.publicUrl, body, 'autocapture()')));
    await ready(page);
    await page.click('#promo');
    await page.fill('input[name=email]', 'secret@example.com');
    await page.click('#join');
    const profileId = await profileOf(page);
    const stored = await storedEvents(app, profileId, 3);
    const clicks = stored.filter((e) => e.type === 'click').map((e) => e.properties);
    expect(clicks).toEqual(expect.arrayContaining([expect.objectContaining({ tag: 'a', id: 'promo', text: 'Summer sale' }), expect.objectContaining({ tag: 'button', id: 'join', text: 'Join' })]));
    expect(stored.find((e) => e.type === 'form-submit')?.properties).toEqual({ id: 'newsletter', action: '/subscribe' });
    expect(JSON.stringify(stored)).not.toContain('secret@example.com');
  });

  it('cross-domain linking carries the profile id to a listed domain, which takes it and cleans its address', async () => {
    // A second origin for the same site: requests to partner.test are answered by it.
    const other = site.url.replace('127.0.0.1', 'partner.test');
    await context.route(`${other}/**`, async (route) => route.fulfill({ response: await route.fetch({ url: route.request().url().replace(other, site.url) }) }));
    site.page('/landing', pluginPage(app.publicUrl, '<p>landing</p>', "crossDomainLinking({ domains: ['127.0.0.1'] })"));
    const links = `<a id="partner" href="${other}/landing?from=shop">partner</a><a id="unlisted" href="https://unlisted.example/">x</a>`;
    await page.goto(site.page('/origin', pluginPage(app.publicUrl, links, "crossDomainLinking({ domains: ['partner.test'] })")));
    await ready(page);
    const origin = await profileOf(page);
    await page.evaluate(() => void (window as unknown as { tracker: PageTracker }).tracker.track('left'));
    await storedEvents(app, origin, 1);
    await page.dispatchEvent('#unlisted', 'mousedown');
    expect(await page.getAttribute('#unlisted', 'href')).toBe('https://unlisted.example/');
    await Promise.all([page.waitForURL((url) => url.pathname === '/landing'), page.click('#partner')]);
    await ready(page);
    expect(await profileOf(page)).toBe(origin);
    expect(page.url()).toBe(`${other}/landing?from=shop`);
    // Chromium's private network access rules keep a page of a made-up public origin from calling
    // the loopback edge, so what the partner page sends is read on the way out.
    const sent = await interceptTrack(page, (_request, route) => route.fulfill({ status: 201, contentType: 'application/json', body: '{"queued":true}' }));
    await page.evaluate(() => void (window as unknown as { tracker: PageTracker }).tracker.track('arrived'));
    await until(() => sent.length > 0, 'the partner page to send');
    expect(sent[0]?.profileId).toBe(origin);
    expect(sent[0]?.events.map((e) => e.type)).toEqual(['arrived']);
  });
});
