import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

interface StoredEvent {
  id: string;
  type: string;
  time: string;
  clientTime?: string;
  sessionId: string;
  profileId: string;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
}
interface StoredProfile {
  id: string;
  eventCount: number;
  traits: Record<string, unknown>;
}
interface StoredSession {
  id: string;
  landingPage?: { url?: string };
  referrer?: string;
  utm?: Record<string, string>;
}

const WRITE_KEY = 'segment-node-key';

/** The real analytics-node client, pointed at the edge; every request body it sends is kept. */
function client(app: TestInflow, writeKey = WRITE_KEY): { analytics: Analytics; bodies: string[]; statuses: number[] } {
  const analytics = new Analytics({ writeKey, host: app.publicUrl, flushAt: 3, flushInterval: 50, maxRetries: 1 });
  const bodies: string[] = [];
  const statuses: number[] = [];
  analytics.on('http_request', (request) => bodies.push(String(request.body)));
  analytics.on('http_response', (response) => statuses.push(response.status));
  return { analytics, bodies, statuses };
}

describe.each(ENGINES)('Segment-compatible ingestion with @segment/analytics-node on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow(engineEnv(engine));
    const created = await app.api('/sources', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: WRITE_KEY }) });
    expect(created.status).toBe(201);
  });
  afterAll(() => app?.close());

  const eventsOf = (profileId: string, count: number) =>
    app.eventually<{ events: StoredEvent[] }>(`/profiles/${encodeURIComponent(profileId)}/events?limit=100`, (b) => b.events.length >= count).then((b) => b.events);

  it('stores track, identify, page, screen, group and alias calls as events of the user, traits on the profile', async () => {
    const { analytics, bodies, statuses } = client(app);
    const context = { page: { url: 'https://shop.test/pricing?utm_source=newsletter&utm_campaign=fall', referrer: 'https://news.test/' }, ip: '203.0.113.5' };
    analytics.identify({ userId: 'node-user', anonymousId: 'node-anon', traits: { email: 'jane@shop.test', plan: 'pro' }, context });
    analytics.page({ userId: 'node-user', name: 'Pricing', category: 'Docs', properties: { title: 'Pricing' }, context });
    analytics.track({ userId: 'node-user', event: 'Order Completed', properties: { total: 42, currency: 'EUR' }, context });
    analytics.screen({ userId: 'node-user', name: 'Settings' });
    analytics.group({ userId: 'node-user', groupId: 'acme', traits: { name: 'Acme Inc' } });
    analytics.alias({ userId: 'node-user', previousId: 'node-anon' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);

    const events = await eventsOf('node-user', 6);
    const sent = bodies.flatMap((body) => (JSON.parse(body) as { batch: Array<{ messageId: string; type: string }> }).batch);
    expect(sent).toHaveLength(6);
    // messageId is the event id.
    expect(events.map((e) => e.id).sort()).toEqual(sent.map((m) => m.messageId).sort());
    const byType = new Map(events.map((e) => [e.type, e]));
    expect([...byType.keys()].sort()).toEqual(['Order Completed', 'alias', 'group', 'identify', 'page-view', 'screen-view']);
    expect(byType.get('Order Completed')?.properties).toEqual({ total: 42, currency: 'EUR' });
    expect(byType.get('page-view')?.properties).toEqual({ title: 'Pricing', name: 'Pricing', category: 'Docs' });
    expect(byType.get('screen-view')?.properties).toEqual({ name: 'Settings' });
    expect(byType.get('group')?.properties).toEqual({ groupId: 'acme', traits: { name: 'Acme Inc' } });
    expect(byType.get('alias')?.properties).toEqual({ previousId: 'node-anon', userId: 'node-user' });
    expect(byType.get('identify')?.context).toMatchObject({ segment: { userId: 'node-user', anonymousId: 'node-anon' }, library: { name: '@segment/analytics-node' } });
    // One derived session holds them all (same user, same half hour).
    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);

    const profile = await app.eventually<StoredProfile>('/profiles/node-user', (p) => p.eventCount === 6);
    expect(profile.traits).toMatchObject({ email: 'jane@shop.test', plan: 'pro' });
    const { sessions } = await app.eventually<{ sessions: StoredSession[] }>('/profiles/node-user/sessions', (b) => b.sessions.length === 1);
    expect(sessions[0]).toMatchObject({
      referrer: 'https://news.test/',
      utm: { source: 'newsletter', campaign: 'fall' },
      landingPage: { url: context.page.url },
    });
  });

  it('puts messages of an anonymous visitor on the anonymousId, and several profiles of one batch each on their own', async () => {
    const { analytics } = client(app);
    analytics.track({ anonymousId: 'anon-a', event: 'Viewed' });
    analytics.track({ anonymousId: 'anon-b', event: 'Viewed' });
    analytics.track({ anonymousId: 'anon-a', event: 'Clicked' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect((await eventsOf('anon-a', 2)).map((e) => e.type).sort()).toEqual(['Clicked', 'Viewed']);
    expect((await eventsOf('anon-b', 1)).map((e) => e.type)).toEqual(['Viewed']);
  });

  it('stores a redelivered batch once (messageId dedup)', async () => {
    const { analytics, bodies } = client(app);
    analytics.track({ userId: 'redelivered', event: 'Paid', properties: { n: 1 } });
    analytics.track({ userId: 'redelivered', event: 'Paid', properties: { n: 2 } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    await app.eventually<StoredProfile>('/profiles/redelivered', (p) => p.eventCount === 2);
    // The client's retry: the same body again.
    const again = await fetch(`${app.publicUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) }, body: bodies[0] });
    expect(again.status).toBe(200);
    await app.eventually<{ total: number }>('/queue/collector/payloads/backlog', (b) => b.total === 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(((await (await app.api('/profiles/redelivered')).json()) as StoredProfile).eventCount).toBe(2);
    expect(await eventsOf('redelivered', 2)).toHaveLength(2);
  });

  it('refuses an unknown write key with 401 and a disabled source with 403; the client does not retry them', async () => {
    const unknown = client(app, 'no-such-key');
    unknown.analytics.track({ userId: 'nobody', event: 'x' });
    await unknown.analytics.closeAndFlush({ timeout: 10_000 });
    expect(unknown.statuses).toEqual([401]);

    await app.api('/sources', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'segment-off', enabled: false }) });
    const disabled = client(app, 'segment-off');
    disabled.analytics.track({ userId: 'nobody', event: 'x' });
    await disabled.analytics.closeAndFlush({ timeout: 10_000 });
    expect(disabled.statuses).toEqual([403]);
    expect((await app.api('/profiles/nobody')).status).toBe(404);
  });

  it('takes gzip bodies, corrects the client clock with sentAt, and answers like Segment', async () => {
    const now = Date.now();
    const behind = 2 * 3_600_000; // the sender's clock is two hours behind
    const body = {
      sentAt: new Date(now - behind).toISOString(),
      batch: [{ type: 'track', userId: 'gzip-user', event: 'Compressed', messageId: 'gz-1', timestamp: new Date(now - behind - 30_000).toISOString() }],
    };
    const response = await fetch(`${app.publicUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basic(WRITE_KEY) },
      body: gzipSync(JSON.stringify(body)),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    const [event] = await eventsOf('gzip-user', 1);
    expect(event?.id).toBe('gz-1');
    expect(Math.abs(Date.parse(String(event?.time)) - (now - 30_000))).toBeLessThan(5_000);
    // The client's own time is kept beside it (a retry repeats it: the daily index goes by it).
    expect(event?.clientTime).toBe(body.batch[0]?.timestamp);
    expect(event?.context).toMatchObject({ segment: { timestamp: body.batch[0]?.timestamp } });

    const bad = await fetch(`${app.publicUrl}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) }, body: '{"userId": "x"' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ success: false, error: { code: 'malformed_json' } });
  });
});

function basic(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}
