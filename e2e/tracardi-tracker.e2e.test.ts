import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { launchChromium } from './support/browser.js';
import { startSite, type Site } from './support/site-server.js';

/**
 * Tracardi's own JavaScript tracker (the liliput tracker of the tracardi-api repository,
 * `app/tracker`) against our edge, unchanged. It is not published on any registry this project
 * reaches (not on npm, not in the `tracardi` package on PyPI) and is not copied into this
 * repository: point INFLOW_TRACARDI_TRACKER_DIR at a folder holding its `liliput.min.js` and
 * the `index.html` whose head carries its loader snippet (a checkout's `app/tracker`).
 */
const TRACKER_DIR = process.env['INFLOW_TRACARDI_TRACKER_DIR'] ?? '';
const missing = !TRACKER_DIR
  ? 'INFLOW_TRACARDI_TRACKER_DIR is not set'
  : !existsSync(join(TRACKER_DIR, 'liliput.min.js')) || !existsSync(join(TRACKER_DIR, 'index.html'))
    ? `${TRACKER_DIR} lacks liliput.min.js or index.html`
    : undefined;

if (missing) {
  process.stderr.write(
    `[tracardi-tracker.e2e] skipped: ${missing}. Tracardi's tracker is not on any registry this project reaches; ` +
      'set INFLOW_TRACARDI_TRACKER_DIR to the app/tracker folder of a tracardi-api checkout (liliput.min.js and index.html).\n',
  );
}

const SOURCE = 'tracardi-site';

/** The loader snippet as Tracardi's index.html has it: the line of its head script that defines window.onTracardiReady. */
function loaderSnippet(indexHtml: string): string {
  const line = indexHtml.split('\n').find((text) => text.trimStart().startsWith('!function(t)') && text.includes('onTracardiReady'));
  if (!line) throw new Error(`no loader snippet found in ${join(TRACKER_DIR, 'index.html')}`);
  return line.trim();
}

/**
 * A page of the site as Tracardi documents it: the loader, `options` (those of its index.html,
 * pointed at our edge), then calls queued before the tracker loads. `script` is the body of a
 * last script: calls made once it is ready.
 */
function tracardiPage(loader: string, siteUrl: string, edgeUrl: string, script: string): string {
  const options = {
    debugger: true,
    tracker: {
      url: { script: `${siteUrl}/tracker`, api: edgeUrl },
      source: { id: SOURCE },
      context: { browser: true, page: true, session: true, storage: true, screen: true, performance: true, location: true },
      settings: { respectDoNotTrack: false, trackExternalLinks: ['tracardi.com'] },
    },
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>Tracardi tracker page</title>
<script>
${loader}
const options = ${JSON.stringify(options)};
${script}
</script></head><body><h1>Tracardi tracker on another origin</h1></body></html>`;
}

/** Page one: the calls of Tracardi's index.html, plus `fire: true`, `asBeacon: true` and the helpers once ready. */
const FIRST_PAGE_CALLS = `
window.tracker.track("purchase-order", {"id": "Sun glasses - Badoo", "price": 13.45});
window.tracker.track("profile-interest", {"Vacation": 1});
window.tracker.track("page-view", {"custom-data": "123ABCDFFG"}, {"debugger": true});
window.tracker.track("profile-update", {"pii": {"firstname": "John", "lastname": "Doe", "name": "John \\"Short\\" Doe"}, "contact": {"email": "john.doe@gmail.com", "address": {"town": "Berlin"}}, "location": "Berlin/Germany"});
window.tracker.track("fired-event", {"n": 1}, {"fire": true});
window.tracker.track("beacon-event", {"n": 2}, {"asBeacon": true});
window.onTracardiReady.bind(async ({helpers, context}) => {
  window.readyContext = context;
  const answer = await helpers.track("helper-event", {"n": 3});
  window.helperAnswer = answer.data;
  await helpers.track("helper-beacon-event", {"n": 4}, {"asBeacon": true});
  window.helpersDone = true;
});`;

const SECOND_PAGE_CALLS = `
window.tracker.track("page-view", {"page": 2});
window.onTracardiReady.bind(({context}) => { window.readyContext = context; window.helpersDone = true; });`;

const FIRST_PAGE_TYPES = ['purchase-order', 'profile-interest', 'page-view', 'profile-update', 'fired-event', 'beacon-event', 'helper-event', 'helper-beacon-event'];

interface StoredEvent {
  id: string;
  type: string;
  profileId: string;
  sessionId: string;
  properties: Record<string, unknown>;
}

describe.skipIf(missing !== undefined)(`Tracardi's liliput tracker, unchanged, on a page of another origin${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let app: TestInflow;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every answer the edge gave to the tracker (preflights included) and anything the tracker reported as wrong. */
  const answers: Array<{ method: string; status: number }> = [];
  const complaints: string[] = [];

  beforeAll(async () => {
    app = await startInflow({ INFLOW_SERVE_DEMO: 'false' });
    site = await startSite();
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE, allowedOrigins: [site.url] }) })).status).toBe(201);
    browser = await launchChromium();
    context = await browser.newContext();
    const tracker = readFileSync(join(TRACKER_DIR, 'liliput.min.js'));
    await context.route(`${site.url}/tracker/liliput.min.js`, (route) => route.fulfill({ body: tracker, contentType: 'text/javascript' }));
    // `location: true` asks a geolocation service, which this machine cannot reach: answer for it.
    await context.route('https://geolocation-db.com/**', (route) =>
      route.fulfill({ json: { country_name: 'Germany', country_code: 'DE', city: 'Berlin', state: 'Berlin', latitude: 52.5, longitude: 13.4, IPv4: '203.0.113.7' } }),
    );
    context.on('response', (response) => {
      if (response.url() === `${app.publicUrl}/track`) answers.push({ method: response.request().method(), status: response.status() });
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('favicon')) complaints.push(message.text());
    });
    page.on('pageerror', (error) => complaints.push(String(error)));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await site?.close();
    await app?.close();
  });

  const readyContext = () => page.evaluate(() => (window as unknown as { readyContext: { profile?: { id?: string } } | null }).readyContext);
  /** The profile id the tracker keeps in localStorage (JSON-encoded, as its storage helper writes). */
  const savedProfileId = () => page.evaluate(() => JSON.parse(localStorage.getItem('tracardi-profile-id') ?? 'null') as unknown);

  async function eventsOf(profileId: string, count: number): Promise<StoredEvent[]> {
    return (await app.eventually<{ events: StoredEvent[] }>(`/profiles/${profileId}/events?limit=100`, (b) => b.events.length >= count)).events;
  }

  it('has every request accepted and every event stored, and the profile id it keeps carries to the next page', async () => {
    const loader = loaderSnippet(readFileSync(join(TRACKER_DIR, 'index.html'), 'utf8'));
    await page.goto(site.page('/tracardi-1', tracardiPage(loader, site.url, app.publicUrl, FIRST_PAGE_CALLS)));
    await page.waitForFunction(() => (window as unknown as { helpersDone?: boolean }).helpersDone === true, undefined, { timeout: 15_000 });

    // What the tracker reads from the answer to its page request: the profile id, kept for the next page.
    const ready = await readyContext();
    const profileId = ready?.profile?.id;
    expect(profileId).toEqual(expect.any(String));
    expect(await savedProfileId()).toBe(profileId);
    expect(await page.evaluate(() => (window as unknown as { helperAnswer: { profile: { id: string } } }).helperAnswer.profile.id)).toBe(profileId);

    const first = await eventsOf(profileId as string, FIRST_PAGE_TYPES.length);
    expect(first.map((e) => e.type).sort()).toEqual([...FIRST_PAGE_TYPES].sort());
    expect(new Set(first.map((e) => e.sessionId)).size).toBe(1);
    expect(first.find((e) => e.type === 'purchase-order')?.properties).toEqual({ id: 'Sun glasses - Badoo', price: 13.45 });

    await page.goto(site.page('/tracardi-2', tracardiPage(loader, site.url, app.publicUrl, SECOND_PAGE_CALLS)));
    await page.waitForFunction(() => (window as unknown as { helpersDone?: boolean }).helpersDone === true, undefined, { timeout: 15_000 });
    expect((await readyContext())?.profile?.id).toBe(profileId);
    const all = await eventsOf(profileId as string, FIRST_PAGE_TYPES.length + 1);
    expect(all.filter((e) => e.type === 'page-view')).toHaveLength(2);
    expect(await (await app.api(`/profiles/${profileId}`)).json()).toMatchObject({ eventCount: FIRST_PAGE_TYPES.length + 1, visits: 1 });

    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status >= 300)).toEqual([]);
    expect(complaints.filter((text) => text.includes('Tracardi') || text.includes('CORS'))).toEqual([]);
  });
});
