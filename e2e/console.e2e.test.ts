import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteQueue } from '@inflow/workers';
import { startInflow, type TestInflow } from '../packages/app/test/support/start-inflow.js';
import { startWebhookReceiver, type WebhookReceiver } from '../packages/app/test/support/webhook-receiver.js';
import { launchChromium } from './support/browser.js';

const TOKEN = 'console-e2e-token-0123456789';
/** HTML + JS + CSS of the console as served (uncompressed): the page must stay this small. */
const PAGE_BUDGET_BYTES = 40_000;
const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url));
/** A queued request the edge would never write (no profile id): the collector dead-letters it. */
const POISON = '{"v":1,"id":"console-poison","receivedAt":1,"payload":{"source":{"id":"console-web"},"events":[{"type":"x"}]}}';
const POISON_REASON = 'payload has events, a profile or a session without id';
/** Shown as text, never parsed: no element and no script comes of it. */
const HOSTILE_NAME = '<img src=x onerror="document.title=\'pwned\'"><b>bold</b>';
const EVENT_IDS = Array.from({ length: 12 }, (_, i) => `console-e${i}`);

describe('the ops console in Chromium', () => {
  let app: TestInflow;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageProblems: string[] = [];

  const post = async (path: string, body: unknown): Promise<void> => {
    const response = await app.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBe(201);
  };

  /** Whether GET /stats has `count` samples of a counter's rate within ten seconds (asked as the page asks, through the browser context). */
  const apiSamples = async (counter: string, count: number): Promise<boolean> => {
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 250))) {
      const response = await context.request.get(`${app.privateUrl}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await response.json()) as { series?: Array<{ rates?: Record<string, number> }> };
      if ((body.series ?? []).filter((sample) => typeof sample.rates?.[counter] === 'number').length >= count) return true;
    }
    return false;
  };

  const screenshot = async (name: string): Promise<void> => {
    const path = join(OUTPUT, `console-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    process.stdout.write(`ops console screenshot: ${path}\n`);
  };

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    receiver = await startWebhookReceiver();
    app = await startInflow({ INFLOW_SERVE_DEMO: 'false', INFLOW_API_TOKEN: TOKEN, INFLOW_STATS_INTERVAL_MS: '500', INFLOW_DESTINATION_REFRESH_MS: '200' });
    await post('/sources', { id: 'console-web', name: 'Console test site', allowedOrigins: ['https://shop.test'] });
    await post('/sources', { id: 'console-markup', name: HOSTILE_NAME });
    await post('/destinations', { id: 'console-hook', name: 'Sign-ups to the CRM', webhook: { url: `${receiver.url}/hook` }, trigger: { eventTypes: ['signup'] } });
    await post('/rules', { id: 'console-rule', name: 'Tag sign-ups', trigger: { eventTypes: ['signup'] }, actions: [{ type: 'add-segment', segment: 'signed-up' }] });
    await new Promise((resolve) => setTimeout(resolve, 600)); // the collector sees the destination and the rule

    for (const [i, id] of EVENT_IDS.entries()) {
      const response = await app.track({
        source: { id: 'console-web' },
        profile: { id: `console-p${i % 3}` },
        events: [{ id, type: i % 2 === 0 ? 'page-view' : 'signup' }],
        options: { queue: i % 4 !== 3 },
      });
      expect(response.status, `${id}: ${await response.clone().text()}`).toBeLessThan(300);
    }
    for (const id of EVENT_IDS) await app.eventually(`/events/${id}`, () => true);

    const outside = new SqliteQueue({ file: join(app.dataDir, 'queue.db'), tenant: 'inflow', maxBacklog: 10, topics: [] });
    await outside.producer({ namespace: 'collector', name: 'payloads' }).send([{ key: 'console-poison', data: Buffer.from(POISON) }]);
    await outside.close();
    await app.eventually<{ deadLetters: Array<{ reason: string }> }>('/dead-letters', (body) => body.deadLetters.some((letter) => letter.reason === POISON_REASON));

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // 401 and 404 answers are logged by Chromium as failed loads; those are expected here.
      if (message.type() === 'error' && !/status of (401|404)/.test(message.text())) pageProblems.push(`console: ${message.text()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await receiver?.close();
  });

  it(`serves the page, its script and its style without the token, uncached, under a strict CSP, within ${PAGE_BUDGET_BYTES} bytes`, async () => {
    const sizes: string[] = [];
    let total = 0;
    for (const [path, type] of [
      ['/console', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
    ] as const) {
      const response = await context.request.get(app.privateUrl + path);
      expect(response.status(), path).toBe(200);
      const headers = response.headers();
      expect(headers['content-type'], path).toContain(type);
      expect(headers['cache-control'], path).toBe('no-store');
      expect(headers['content-security-policy'], path).toContain("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'");
      const body = await response.body();
      if (type === 'text/html') {
        expect(body.toString(), 'no inline script or style').not.toMatch(/<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=/i);
      }
      sizes.push(`${path} ${body.length} B`);
      total += body.length;
    }
    process.stdout.write(`ops console page weight: ${total} bytes (${sizes.join(', ')}); budget ${PAGE_BUDGET_BYTES}\n`);
    expect(total).toBeLessThan(PAGE_BUDGET_BYTES);
    // The data stays behind the token.
    expect((await context.request.get(`${app.privateUrl}/sources`)).status()).toBe(401);
  });

  it('says clearly when the token is refused (401), and shows no data', async () => {
    await page.goto(`${app.privateUrl}/console`);
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('gate-message')?.textContent ?? '').includes('401'));
    expect(await page.textContent('#gate-message')).toContain('refused this token (401 Unauthorized');
    expect(await page.isVisible('#board')).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length), 'a refused token is not kept').toBe(0);
    await screenshot('401');
  });

  it('shows throughput and latency, the backlog per topic, dead letters, sources, destinations and rules', async () => {
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#sources-body table');
    expect(await page.isVisible('#gate')).toBe(false);

    await page.waitForSelector('#stats-body svg.chart');
    expect(await page.locator('#stats-body svg.chart').count()).toBe(2);
    expect(await page.textContent('#stats-body')).toMatch(/[1-9]\d* instance\(s\) reporting/);
    expect(await page.textContent('#stats-body table')).toContain('destination console-hook');
    expect(await apiSamples('edge.events.accepted', 2), 'GET /stats has samples of edge.events.accepted').toBe(true);
    // The page redraws every 5 s; by then it has the samples the API had.
    await page.waitForFunction(() => Number(document.querySelector('#stats-body [data-series="edge.events.accepted"]')?.getAttribute('data-points') ?? 0) >= 2, undefined, { timeout: 15_000 });
    const series = await page.$$eval('#stats-body [data-series]', (lines) => lines.map((line) => line.getAttribute('data-series')));
    expect(series).toEqual(expect.arrayContaining(['edge.events.accepted', 'collector.events.stored', 'edge.latency.p99_ms']));

    await page.waitForSelector('#backlog-body table');
    expect(await page.textContent('#backlog-body')).toContain('collector/payloads');
    expect(await page.textContent('#dead-letters-body')).toContain(POISON_REASON);
    expect(await page.textContent('#dead-letters-body')).toContain('Replay all');
    const sources = await page.textContent('#sources-body');
    expect(sources).toContain('console-web');
    expect(sources).toContain('Console test site');
    expect(sources).toContain('https://shop.test');
    expect(sources, 'data is text').toContain(HOSTILE_NAME);
    expect(await page.locator('#sources-body img, #sources-body b').count()).toBe(0);
    expect(await page.title()).toBe('Inflow ops console');
    const destinations = await page.textContent('#destinations-body');
    expect(destinations).toContain('console-hook');
    expect(destinations).toContain(`POST ${receiver.url}/hook`);
    expect(destinations).toContain('types: signup');
    const rules = await page.textContent('#rules-body');
    expect(rules).toContain('console-rule');
    expect(rules).toContain('add-segment');
    await screenshot('overview');
  });

  it('searches the trace of an event and shows its stages as a timeline', async () => {
    const eventId = EVENT_IDS[1] ?? '';
    await page.fill('#trace-id', eventId);
    await page.click('#trace-form button[type=submit]');
    const answer = await context.request.get(`${app.privateUrl}/events/${eventId}/trace`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status()).toBe(200);
    // The timeline shows what the API answers, stage by stage, in order.
    const stages = ((await answer.json()) as { entries: Array<{ stage: string }> }).entries.map((entry) => entry.stage);
    expect(stages).toEqual(expect.arrayContaining(['queued', 'stored']));
    await page.waitForFunction((count) => document.querySelectorAll('#trace-body li').length === count, stages.length, { timeout: 10_000 });
    expect(await page.$$eval('#trace-body li', (items) => items.map((item) => item.getAttribute('data-stage')))).toEqual(stages);
    expect(await page.textContent('#trace-body .caption')).toContain(`event ${eventId}`);
    await screenshot('trace');

    // An entry's profile is a link to the profile's own trace.
    await page.click('#trace-body li[data-stage="stored"] button.link:has-text("profile")');
    await page.waitForFunction(() => (document.querySelector('#trace-body .caption')?.textContent ?? '').startsWith('profile console-p1'));
    expect(await page.inputValue('#trace-kind')).toBe('profile');
    await page.selectOption('#trace-kind', 'any');
    await page.fill('#trace-id', 'no-such-id-anywhere');
    await page.click('#trace-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('trace-status')?.textContent ?? '').includes('Nothing is known'));
    expect(await page.textContent('#trace-status')).toContain('"no-such-id-anywhere" as an event, request or profile id');
  });

  it('replays a dead letter once the replay is confirmed', async () => {
    const letters = (await (await app.api('/dead-letters')).json()) as { deadLetters: Array<{ id: string; reason: string }> };
    const letter = letters.deadLetters.find((l) => l.reason === POISON_REASON);
    expect(letter).toBeDefined();
    const row = `#dead-letters-body [data-replay="${letter?.id ?? ''}"]`;
    await page.click(`${row} button`);
    expect(await page.textContent(row)).toContain('Replay this letter?');
    await screenshot('replay-confirm');
    await page.click(`${row} button.danger`);
    await page.waitForFunction(() => (document.getElementById('dead-letters-status')?.textContent ?? '').startsWith('Replayed'));
    expect(await page.textContent('#dead-letters-status')).toBe('Replayed 1.');
    // Still poison: the collector dead-letters the replayed copy again, under a new id.
    await app.eventually<{ deadLetters: Array<{ id: string; reason: string }> }>('/dead-letters', (body) =>
      body.deadLetters.some((l) => l.reason === POISON_REASON && l.id !== letter?.id),
    );
  });

  it('says which routes this server does not have yet, and shows the rest', async () => {
    const missing = (path: string) => JSON.stringify({ error: { code: 'not_found', message: `no such endpoint: ${path}` } });
    await page.route('**/stats', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: missing('/stats') }));
    await page.route('**/events/*/trace', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: missing(new URL(route.request().url()).pathname) }));
    try {
      await page.reload(); // the token is kept in the tab
      await page.waitForFunction(() => (document.getElementById('stats-status')?.textContent ?? '').includes('Not available'));
      expect(await page.textContent('#stats-status')).toContain('GET /stats answered 404');
      expect(await page.locator('#stats-body svg').count()).toBe(0);
      await page.waitForSelector('#sources-body table');
      await page.selectOption('#trace-kind', 'event');
      await page.fill('#trace-id', EVENT_IDS[0] ?? '');
      await page.click('#trace-form button[type=submit]');
      await page.waitForFunction(() => (document.getElementById('trace-status')?.textContent ?? '').includes('Not available'));
      await screenshot('missing-routes');
    } finally {
      await page.unrouteAll();
    }
  });

  it('raised no script error and no CSP violation', () => {
    expect(pageProblems).toEqual([]);
  });
});
