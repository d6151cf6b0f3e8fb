import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrackPayload } from '@inflow/protocol/types';
import { memoryStore } from '../plugins/memory-store.js';
import { Tracker, type Identity, type TrackerSettings } from './tracker.js';
import type { EventStore, SendResult, Transport } from './types.js';

/** A transport that records bodies and answers from a script (one answer per call, last one repeats). */
function scriptedTransport(answers: SendResult[]): Transport & { payloads: TrackPayload[]; calls: Array<{ unloading: boolean }> } {
  const payloads: TrackPayload[] = [];
  const calls: Array<{ unloading: boolean }> = [];
  return {
    payloads,
    calls,
    async send(_url, body, options) {
      payloads.push(JSON.parse(body) as TrackPayload);
      calls.push(options);
      return answers.length > 1 ? (answers.shift() as SendResult) : (answers[0] as SendResult);
    },
  };
}

const ok: SendResult = { kind: 'ok', status: 201, body: {} };

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
  return new Tracker({ endpoint: 'https://edge.test/', sourceId: 'web', transport, store: memoryStore(), identity: identity(), flushMs: 1000, ...extra });
}

describe('Tracker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('batches events by time into one Tracardi payload with ids, time and context', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport, { context: () => ({ page: { path: '/a' } }) });
    await t.track('page-view', { title: 'A' });
    await t.track('click', { x: 1 });
    expect(transport.payloads).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads).toHaveLength(1);
    const payload = transport.payloads[0] as TrackPayload;
    expect(payload).toMatchObject({ source: { id: 'web' }, profile: { id: 'p-1' }, session: { id: 's-1' }, options: { queue: true } });
    expect(payload.events.map((e) => e.type)).toEqual(['page-view', 'click']);
    for (const event of payload.events) {
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof event.time).toBe('string');
      expect(event.context).toEqual({ page: { path: '/a' } });
    }
    expect(t.pending).toBe(0);
  });

  it('sends exactly the envelope the edge expects (pinned)', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport, { context: () => ({ page: { url: 'https://shop.test/a', path: '/a', title: 'A', referrer: '' } }) });
    await t.track('add-to-cart', { sku: 'SKU-42' }, { time: new Date('2026-11-23T10:00:00Z') });
    await vi.advanceTimersByTimeAsync(1000);
    const payload = transport.payloads[0] as TrackPayload;
    const masked = { ...payload, events: payload.events.map((event) => ({ ...event, id: event.id?.replace(/[0-9a-f]/g, 'x') })) };
    expect(masked).toEqual({
      source: { id: 'web' },
      profile: { id: 'p-1' },
      session: { id: 's-1' },
      events: [
        {
          id: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
          type: 'add-to-cart',
          properties: { sku: 'SKU-42' },
          time: '2026-11-23T10:00:00.000Z',
          context: { page: { url: 'https://shop.test/a', path: '/a', title: 'A', referrer: '' } },
        },
      ],
      options: { queue: true },
    });
  });

  it('sends at once when a batch is full', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport, { maxBatchEvents: 3 });
    for (let i = 0; i < 3; i++) await t.track('e');
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.payloads).toHaveLength(1);
    expect(transport.payloads[0]?.events).toHaveLength(3);
  });

  it('retries a 503 after Retry-After with the same event ids, and does not retry a 400', async () => {
    const transport = scriptedTransport([{ kind: 'http', status: 503, retryAfterMs: 5000 }, ok]);
    const t = tracker(transport);
    await t.track('e');
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(transport.payloads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.payloads).toHaveLength(2);
    expect(transport.payloads[1]?.events[0]?.id).toBe(transport.payloads[0]?.events[0]?.id);
    expect(t.pending).toBe(0);

    const refused = scriptedTransport([{ kind: 'http', status: 400 }]);
    const t2 = tracker(refused);
    await t2.track('bad');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(refused.payloads).toHaveLength(1);
    expect(t2.pending).toBe(0);
  });

  it('halves the batch after a 413', async () => {
    const transport = scriptedTransport([{ kind: 'http', status: 413 }, ok]);
    const t = tracker(transport, { maxBatchEvents: 4 });
    for (let i = 0; i < 4; i++) await t.track('e');
    await vi.advanceTimersByTimeAsync(100);
    expect(transport.payloads.map((p) => p.events.length)).toEqual([4, 2, 2]);
    expect(t.pending).toBe(0);
  });

  it('keeps queued events in the store, and sends what a previous page left', async () => {
    const store = memoryStore();
    const offline = scriptedTransport([{ kind: 'network', error: 'offline' }]);
    const first = tracker(offline, { store });
    await first.track('while-offline');
    expect(store.load()).toHaveLength(1);

    const online = scriptedTransport([ok]);
    tracker(online, { store });
    await vi.advanceTimersByTimeAsync(0);
    expect(online.payloads[0]?.events[0]?.type).toBe('while-offline');
    expect(store.load()).toHaveLength(0);
  });

  it('drops the oldest events first when the queue is full', async () => {
    const transport = scriptedTransport([{ kind: 'network', error: 'offline' }]);
    const store = memoryStore();
    const t = tracker(transport, { store, maxQueuedEvents: 3 });
    for (const type of ['a', 'b', 'c', 'd', 'e']) await t.track(type);
    expect(store.load().map((item) => item.event.type)).toEqual(['c', 'd', 'e']);
  });

  it('sends nothing before consent, everything after; withdrawing clears queue and ids', async () => {
    const transport = scriptedTransport([ok]);
    const store = memoryStore();
    const who = identity();
    const t = new Tracker({ endpoint: 'https://edge.test', sourceId: 'web', transport, store, identity: who, consentRequired: true, flushMs: 10 });
    await t.track('before-consent');
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.payloads).toHaveLength(0);
    expect(store.load()).toHaveLength(0); // nothing persisted either
    t.consent(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(transport.payloads[0]?.events[0]?.type).toBe('before-consent');

    await t.track('later');
    t.consent(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.payloads).toHaveLength(1);
    expect(who.profile).toBe('p-new');
  });

  it('returns the processed answer and adopts a merged profile id', async () => {
    const transport = scriptedTransport([{ kind: 'ok', status: 200, body: { profile: { id: 'merged' }, session: { id: 's-1' }, events: ['x'] } }]);
    const who = identity();
    const t = new Tracker({ endpoint: 'https://edge.test', sourceId: 'web', transport, store: memoryStore(), identity: who });
    const answer = await t.track('checkout', {}, { processed: true });
    expect(answer?.profile.id).toBe('merged');
    expect(transport.payloads[0]?.options).toEqual({ queue: false });
    expect(who.profile).toBe('merged');
  });

  it('sends on unload what is not already on the wire, through the unloading path', async () => {
    const transport = scriptedTransport([ok]);
    const t = tracker(transport);
    await t.track('last-click');
    await t.flush(true);
    expect(transport.calls).toEqual([{ unloading: true }]);
    expect(t.pending).toBe(0);
  });

  it('ignores bad arguments instead of throwing', async () => {
    const transport = scriptedTransport([ok]);
    const log = vi.fn();
    const t = tracker(transport, { log });
    await expect(t.track('' as string)).resolves.toBeUndefined();
    await expect(t.track(42 as unknown as string)).resolves.toBeUndefined();
    expect(t.pending).toBe(0);
    expect(log).toHaveBeenCalledTimes(2);
    const broken: EventStore = { load: () => { throw new Error('x'); }, save: () => { throw new Error('quota'); }, clear: () => undefined };
    const t2 = tracker(transport, { store: broken });
    await expect(t2.track('still-fine')).resolves.toBeUndefined();
  });
});
