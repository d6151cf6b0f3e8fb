import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryStore } from '../plugins/memory-store.js';
import { countEvents } from './counts.js';
import { isInvalidEventError } from './errors.js';
import { createCore, type Identity, type Tracker, type TrackerSettings } from './tracker.js';
import type { DropReason, EventStore, SendResult, Transport } from './types.js';
import type { WireEvent, WirePayload } from './wire.js';

/** A transport that records bodies and answers from a script (one answer per call, last one repeats). */
function scriptedTransport(answers: Array<SendResult | ((payload: WirePayload) => SendResult)>) {
  const payloads: WirePayload[] = [];
  const calls: Array<{ unloading: boolean }> = [];
  /** The (fake) clock at each send. */
  const sentAt: number[] = [];
  const transport: Transport = {
    async send(_url, body, options) {
      const payload = JSON.parse(body) as WirePayload;
      payloads.push(payload);
      sentAt.push(Date.now());
      calls.push(options);
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      return typeof answer === 'function' ? answer(payload) : (answer as SendResult);
    },
  };
  return Object.assign(transport, { payloads, calls, sentAt });
}

const ok: SendResult = { kind: 'ok', status: 201, body: {} };
const offline: SendResult = { kind: 'network', error: 'offline' };

function identity(): Identity & { profile: string } {
  const id = { profile: 'p-1' };
  return Object.assign(id, {
    profileId: () => id.profile,
    sessionId: () => 's-1',
    setProfileId: (next: string) => (id.profile = next),
    reset: () => (id.profile = 'p-new'),
  });
}

function tracker(transport: Transport, extra: Partial<TrackerSettings> = {}): Tracker {
  return createCore({ endpoint: 'https://edge.test/', sourceId: 'web', transport, store: memoryStore(), identity: identity(), flushMs: 1000, log: () => undefined, ...extra });
}

function drops() {
  const seen: Array<{ types: string[]; reason: DropReason }> = [];
  return Object.assign((events: WireEvent[], reason: DropReason) => seen.push({ types: events.map((e) => e.type), reason }), { seen });
}

describe('the tracker core', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('batches events by time into one payload, the page context once at the top', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport, { context: () => ({ page: { path: '/a' } }) });
    await t.track('page-view', { title: 'A' });
    await t.track('click', { x: 1 });
    expect(transport.payloads).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads).toHaveLength(1);
    const payload = transport.payloads[0] as WirePayload;
    expect(payload).toMatchObject({ source: { id: 'web' }, profile: { id: 'p-1' }, session: { id: 's-1' }, context: { page: { path: '/a' } }, options: { queue: true } });
    expect(payload.events.map((e) => e.type)).toEqual(['page-view', 'click']);
    for (const event of payload.events) expect(event).not.toHaveProperty('context');
    expect(t.pending()).toBe(0);
  });

  it('sends exactly the envelope the edge expects (pinned)', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport, { context: () => ({ page: { url: 'https://shop.test/a', path: '/a', title: 'A', referrer: '' } }) });
    await t.track('add-to-cart', { sku: 'SKU-42' }, { time: new Date('2026-11-23T10:00:00Z') });
    await vi.advanceTimersByTimeAsync(1000);
    const payload = transport.payloads[0] as WirePayload;
    const masked = { ...payload, events: payload.events.map((event) => ({ ...event, id: event.id.replace(/[0-9a-f]/g, 'x') })) };
    expect(masked).toEqual({
      source: { id: 'web' },
      profile: { id: 'p-1' },
      session: { id: 's-1' },
      context: { page: { url: 'https://shop.test/a', path: '/a', title: 'A', referrer: '' } },
      events: [{ id: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', type: 'add-to-cart', properties: { sku: 'SKU-42' }, time: '2026-11-23T10:00:00.000Z' }],
      options: { queue: true },
      sentAt: new Date(transport.sentAt[0] as number).toISOString(),
    });
  });

  it('puts events of different pages in different requests, in order', async () => {
    let path = '/a';
    const transport = scriptedTransport([ok]);
    const t = tracker(transport, { context: () => ({ page: { path } }) });
    await t.track('one');
    path = '/b';
    await t.track('two');
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads.map((p) => [p.context, p.events.map((e) => e.type)])).toEqual([
      [{ page: { path: '/a' } }, ['one']],
      [{ page: { path: '/b' } }, ['two']],
    ]);
  });

  it('keeps retrying through an hour offline without dropping anything, then delivers in order', async () => {
    let online = false;
    const transport = scriptedTransport([() => (online ? ok : offline)]);
    const onDrop = drops();
    const store = memoryStore();
    const t = tracker(transport, { store, onDrop });
    for (let i = 0; i < 120; i++) await t.track('e', { i });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(transport.payloads.length).toBeGreaterThan(60); // it kept trying, at most a minute apart
    expect(store.load()).toHaveLength(120);
    online = true;
    await vi.advanceTimersByTimeAsync(61_000);
    expect(t.pending()).toBe(0);
    const delivered = transport.payloads.slice(-3).flatMap((p) => p.events.map((e) => e.properties['i']));
    expect(delivered).toEqual([...Array(120).keys()]);
    // Each attempt says when it left, a retry its own time: the edge corrects the events' times by it.
    expect(transport.payloads.map((p) => p.sentAt)).toEqual(transport.sentAt.map((at) => new Date(at).toISOString()));
    expect(new Set(transport.payloads.map((p) => p.sentAt)).size).toBeGreaterThan(60);
    expect(onDrop.seen).toEqual([]);
  });

  it('honours Retry-After on the timer path, in flush() and in a processed track()', async () => {
    const transport = scriptedTransport([{ kind: 'http', status: 503, retryAfterMs: 120_000 }, ok]);
    const t = tracker(transport);
    await t.track('e');
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads).toHaveLength(1);
    await t.flush();
    await t.track('processed', {}, { processed: true });
    await vi.advanceTimersByTimeAsync(118_000);
    expect(transport.payloads).toHaveLength(1);
    expect(t.retryInMs()).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(transport.payloads).toHaveLength(2);
    expect(transport.payloads[1]?.events.map((e) => e.id)[0]).toBe(transport.payloads[0]?.events[0]?.id);
    expect(transport.payloads[1]?.events.map((e) => e.type)).toEqual(['e', 'processed']);
    expect(t.pending()).toBe(0);
  });

  it('bounds the queue by count, bytes and age: the oldest go first, reported to onDrop', async () => {
    const transport = scriptedTransport([offline]);
    const byCount = drops();
    const store = memoryStore();
    const t = tracker(transport, { store, maxQueuedEvents: 3, onDrop: byCount });
    for (const type of ['a', 'b', 'c', 'd', 'e']) await t.track(type);
    expect(store.load().map((item) => item.event.type)).toEqual(['c', 'd', 'e']);
    expect(byCount.seen).toEqual([
      { types: ['a'], reason: 'queue-full' },
      { types: ['b'], reason: 'queue-full' },
    ]);

    const byBytes = drops();
    const t2 = tracker(transport, { maxQueuedBytes: 250, onDrop: byBytes });
    for (const type of ['a', 'b', 'c']) await t2.track(type, { pad: 'é'.repeat(40) }); // 80 bytes of é, 40 characters
    expect(t2.pending()).toBe(1);
    expect(byBytes.seen.map((d) => d.types[0])).toEqual(['a', 'b']);

    const byAge = drops();
    const t3 = tracker(transport, { maxEventAgeMs: 86_400_000, onDrop: byAge });
    await t3.track('old');
    await vi.advanceTimersByTimeAsync(86_400_000 + 60_000);
    expect(t3.pending()).toBe(0);
    expect(byAge.seen).toEqual([{ types: ['old'], reason: 'too-old' }]);
  });

  it('drops exactly the events the edge rejected in an accepted request, and counts the rest as sent', async () => {
    const transport = scriptedTransport([(payload) => ({ kind: 'ok', status: 201, body: { events: [], rejected: [{ index: 1, id: payload.events[1]?.id, code: 'invalid_payload', message: 'bad' }] } })]);
    const onDrop = drops();
    const tally = countEvents();
    const t = tracker(transport, { onDrop, _counted: tally.counted });
    for (const type of ['a', 'b', 'c']) await t.track(type);
    await vi.advanceTimersByTimeAsync(1000);
    expect(onDrop.seen).toEqual([{ types: ['b'], reason: 'rejected' }]);
    expect(tally.counts).toEqual({ sent: 2, dropped: 1 });
    expect(t.pending()).toBe(0);
  });

  it('isolates the one bad event of a batch the edge refuses whole (400) by halving, and delivers the others', async () => {
    const transport = scriptedTransport([(payload) => (payload.events.some((e) => e.type === 'poison') ? { kind: 'http', status: 400 } : ok)]);
    const onDrop = drops();
    const t = tracker(transport, { onDrop });
    for (const type of ['a', 'b', 'poison', 'd', 'e']) await t.track(type);
    await vi.advanceTimersByTimeAsync(1000);
    const delivered = transport.payloads.filter((p) => !p.events.some((e) => e.type === 'poison')).flatMap((p) => p.events.map((e) => e.type));
    expect(delivered).toEqual(['a', 'b', 'd', 'e']);
    expect(onDrop.seen).toEqual([{ types: ['poison'], reason: 'rejected' }]);
    expect(t.pending()).toBe(0);
  });

  it('halves a batch after a 413', async () => {
    const transport = scriptedTransport([{ kind: 'http', status: 413 }, ok]);
    const t = tracker(transport, { maxBatchEvents: 4 });
    for (let i = 0; i < 4; i++) await t.track('e');
    await vi.advanceTimersByTimeAsync(100);
    expect(transport.payloads.map((p) => p.events.length)).toEqual([4, 2, 2]);
    expect(t.pending()).toBe(0);
  });

  it('limits a batch by UTF-8 bytes, not characters', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport);
    // 21,000 bytes and 7,000 characters each: three are over a batch's 60,000 bytes, four are far under it in characters.
    for (let i = 0; i < 4; i++) await t.track('e', { text: '€'.repeat(7_000) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads.map((p) => p.events.length)).toEqual([2, 2]);
  });

  it('keeps what a beacon carried until a response confirms it, and resends it', async () => {
    const transport = scriptedTransport([{ kind: 'beacon' }, ok]);
    const store = memoryStore();
    const t = tracker(transport, { store });
    await t.track('last-click');
    await t.flush(true);
    expect(transport.calls).toEqual([{ unloading: true }]);
    expect(store.load().map((item) => [item.event.type, item.beacon])).toEqual([['last-click', true]]);
    await t.flush(true); // a second hide does not send it again
    expect(transport.payloads).toHaveLength(1);
    await t.flush();
    expect(transport.payloads[1]?.events[0]?.id).toBe(transport.payloads[0]?.events[0]?.id);
    expect(t.pending()).toBe(0);
  });

  it('refuses at track() an event the edge would refuse, and keeps working', async () => {
    const transport = scriptedTransport([ok]);
    const store = memoryStore();
    const t = tracker(transport, { store });
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) deep = { deep };
    const refused: Array<[string, Record<string, unknown>, string]> = [
      ['x'.repeat(129), {}, 'invalid_event'],
      ['bad\u0007type', {}, 'invalid_event'],
      ['big-int', { n: 10n }, 'unserializable'],
      ['circular', circular, 'unserializable'],
      ['deep', deep, 'too_deep'],
      ['huge', { text: '€'.repeat(22_000) }, 'event_too_large'],
      ['key', { ['k'.repeat(257)]: 1 }, 'invalid_key'],
    ];
    for (const [type, properties, code] of refused) {
      let error: unknown;
      try {
        await t.track(type, properties);
      } catch (thrown) {
        error = thrown;
      }
      expect(isInvalidEventError(error) && error.code).toBe(code);
    }
    // Stored with its batch's context merged in: an event that fits alone but not with the context is refused as the edge would.
    expect(() => t.track('fits-alone', { text: 'x'.repeat(40_000) }, { context: { blob: 'c'.repeat(30_000) } })).toThrow(/event_too_large at event/);
    expect(() => t.identify('i'.repeat(129))).toThrow(/invalid_id at profileId/);
    expect(store.load()).toHaveLength(0);
    await t.track('fine', { n: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads.flatMap((p) => p.events.map((e) => e.type))).toEqual(['fine']);
  });

  it('gates events by consent category and purges a withdrawn one', async () => {
    const transport = scriptedTransport([ok]);
    const store = memoryStore();
    const who = identity();
    const t = tracker(transport, { store, identity: who, consentRequired: true, flushMs: 10 });
    await t.track('view');
    await t.track('ad-click', {}, { category: 'marketing' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.payloads).toHaveLength(0);
    expect(store.load()).toHaveLength(0); // nothing persisted either
    t.consent({ analytics: true, marketing: false });
    await t.track('ad-view', {}, { category: 'marketing' });
    await vi.advanceTimersByTimeAsync(10);
    expect(transport.payloads.flatMap((p) => p.events.map((e) => e.type))).toEqual(['view']);

    const offlineTransport = scriptedTransport([offline]);
    const t2 = tracker(offlineTransport, { store, identity: who });
    await t2.track('queued');
    expect(store.load()).toHaveLength(1);
    t2.consent(false);
    expect(store.load()).toHaveLength(0);
    expect(who.profile).toBe('p-new');
    await t2.track('after-opt-out');
    expect(t2.pending()).toBe(0);
  });

  it('merges super properties, applies beforeSend (edit, drop) and survives a hook that throws', async () => {
    const transport = scriptedTransport([ok]);
    const log = vi.fn();
    const t = tracker(transport, {
      log,
      beforeSend: (event) => {
        if (event.type === 'secret') return null;
        if (event.type === 'boom') throw new Error('hook bug');
        return { ...event, properties: { ...event.properties, edited: true } };
      },
    });
    t.register({ app: 'shop', plan: 'free' });
    await t.track('a', { plan: 'pro' });
    t.unregister('plan');
    await t.track('b');
    await t.track('secret');
    await t.track('boom');
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads[0]?.events.map((e) => [e.type, e.properties])).toEqual([
      ['a', { app: 'shop', plan: 'pro', edited: true }],
      ['b', { app: 'shop', edited: true }],
      ['boom', { app: 'shop' }],
    ]);
    expect(log).toHaveBeenCalledWith('beforeSend threw', expect.any(Error));
  });

  it('sends group and alias events, alias switching the profile', async () => {
    const transport = scriptedTransport([ok]);
    const who = identity();
    const t = tracker(transport, { identity: who });
    await t.group('acme', { plan: 'enterprise' });
    await t.alias('user-42');
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads.map((p) => [p.profile.id, p.events.map((e) => [e.type, e.properties])])).toEqual([
      ['p-1', [['group', { groupId: 'acme', traits: { plan: 'enterprise' } }]]],
      ['user-42', [['alias', { previousId: 'p-1' }]]],
    ]);
  });

  it('returns the processed answer and adopts a merged profile id', async () => {
    const transport = scriptedTransport([{ kind: 'ok', status: 200, body: { profile: { id: 'merged' }, session: { id: 's-1' }, events: ['x'] } }]);
    const who = identity();
    const t = tracker(transport, { identity: who });
    const answer = await t.track('checkout', {}, { processed: true });
    expect(answer?.profile.id).toBe('merged');
    expect(transport.payloads[0]?.options).toEqual({ queue: false });
    expect(who.profile).toBe('merged');
  });

  it('keeps working when the store throws', async () => {
    const transport = scriptedTransport([ok]);
    const broken: EventStore = {
      load: () => {
        throw new Error('x');
      },
      save: () => {
        throw new Error('quota');
      },
      clear: () => undefined,
    };
    const t = tracker(transport, { store: broken });
    await expect(t.track('still-fine')).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads).toHaveLength(1);
  });

  it('does not queue an event twice when consent is given again', async () => {
    const transport = scriptedTransport([offline]);
    const store = memoryStore();
    const t = tracker(transport, { store });
    await t.track('once');
    store.save(store.load().map((item) => ({ ...item }))); // a persistent store hands back copies
    t.consent(true);
    t.consent({ analytics: true });
    expect(t.pending()).toBe(1);
  });
});
