import { describe, expect, it } from 'vitest';
import { eventKey } from '@inflow/core';
import { envelopeFor } from '../test-support/fixtures.js';
import { collect, MAX_TRAITS, MOST_EVENTS_PER_REQUEST, RECENT_EVENTS_KEPT } from './collect.js';
import { eventMark, legacyEventMark, rememberedCount } from './event-marks.js';

describe('collect', () => {
  it('names exactly the events it had counted before as duplicates, and counts none the store holds from another request', () => {
    const first = collect(envelopeFor({ events: [{ id: 'a', type: 'x' }] }), { profile: null, session: null });
    const next = collect(envelopeFor({ events: [{ id: 'b', type: 'x' }, { id: 'a', type: 'x' }, { id: 'c', type: 'x' }, { id: 'c', type: 'x' }] }), first);
    expect(next.duplicates).toEqual(['a', 'c']);
    expect(next.profile.eventCount).toBe(3);
    const resent = collect(envelopeFor({ events: [{ id: 'old', type: 'x' }, { id: 'd', type: 'x' }] }), next, { profile: new Set([eventKey('p-1', 'old'), eventKey('another', 'd')]), session: new Set([eventKey('p-1', 'old')]) });
    expect(resent.duplicates).toEqual(['old']);
    expect(resent.profile.eventCount).toBe(4);
    expect(resent.session.eventCount).toBe(4);
    expect(resent.events.map((event) => event.id)).toEqual(['old', 'd']);
    expect(resent.sessionCountedAlike).toBe(true);
    // Counted by the session before, not by the profile (a write of the profile that was lost).
    const half = collect(envelopeFor({ events: [{ id: 'e', type: 'x' }] }), resent, { profile: new Set(), session: new Set([eventKey('p-1', 'e')]) });
    expect(half.profile.eventCount).toBe(5);
    expect(half.session.eventCount).toBe(4);
    expect(half.sessionCountedAlike).toBe(false);
  });

  it('creates a profile and a session on the first request, with visit, counts and context', () => {
    const envelope = envelopeFor({
      context: { page: { url: 'https://shop.test/shoes?utm_source=news&utm_campaign=fall', title: 'Shoes', referrer: 'https://search.test/' } },
      events: [
        { id: 'e-1', type: 'page-view', properties: { category: 'shoes' } },
        { id: 'e-2', type: 'add-to-cart', time: '2026-11-23T09:59:58Z', options: { async: true } },
      ],
    });
    const { profile, session, events } = collect(envelope, { profile: null, session: null });
    const at = new Date(envelope.receivedAt).toISOString();

    // The visit began with the earlier event (sent with its own time), and its last event came as received.
    expect(profile).toMatchObject({ id: 'p-1', createdAt: at, firstVisitAt: '2026-11-23T09:59:58.000Z', lastVisitAt: at, visits: 1, eventCount: 2, version: 1 });
    expect(session).toMatchObject({
      id: 's-1',
      profileId: 'p-1',
      startedAt: '2026-11-23T09:59:58.000Z',
      lastEventAt: at,
      eventCount: 2,
      userAgent: 'test-agent/1.0',
      ip: '203.0.113.7',
      referrer: 'https://search.test/',
      landingPage: { url: 'https://shop.test/shoes?utm_source=news&utm_campaign=fall', path: '/shoes', title: 'Shoes' },
      utm: { source: 'news', campaign: 'fall' },
      version: 1,
    });
    expect(events.map((e) => [e.id, e.type, e.time, e.async])).toEqual([
      ['e-1', 'page-view', at, false],
      ['e-2', 'add-to-cart', '2026-11-23T09:59:58.000Z', true],
    ]);
    expect(events[0]).toMatchObject({ profileId: 'p-1', sessionId: 's-1', sourceId: 'web', requestId: envelope.id, page: { path: '/shoes' } });
  });

  it('counts a new visit when a known profile starts a new session, and keeps the first visit', () => {
    const first = collect(envelopeFor({ events: [{ id: 'a', type: 'x' }] }), { profile: null, session: null });
    const second = collect(envelopeFor({ session: { id: 's-2' }, events: [{ id: 'b', type: 'y' }, { id: 'c', type: 'z' }] }), {
      profile: first.profile,
      session: null,
    });
    expect(second.profile).toMatchObject({ visits: 2, eventCount: 3, version: 2, firstVisitAt: first.profile.firstVisitAt });
    expect(second.profile.lastVisitAt > first.profile.lastVisitAt).toBe(true);
    expect(second.session).toMatchObject({ id: 's-2', eventCount: 2, version: 1 });
  });

  it('dates visits and sessions by their events up to a week back, but never after they were received', () => {
    const live = collect(envelopeFor({ events: [{ id: 'now', type: 'x' }] }), { profile: null, session: null });
    const now = live.profile.lastVisitAt;
    // Events of three days ago sent now (an offline queue), into the same session and profile.
    const late = collect(envelopeFor({ events: [{ id: 'old-2', type: 'x', time: '2026-11-20T09:00:00Z' }, { id: 'old-1', type: 'x', time: '2026-11-20T08:00:00Z' }] }), live);
    expect(late.profile).toMatchObject({ firstVisitAt: '2026-11-20T08:00:00.000Z', lastVisitAt: now, createdAt: live.profile.createdAt });
    expect(late.session).toMatchObject({ startedAt: '2026-11-20T08:00:00.000Z', lastEventAt: now });
    // A new profile and session from such events only: both as old as their events.
    const offline = collect(envelopeFor({ profile: { id: 'p-offline' }, session: { id: 's-offline' }, events: [{ id: 'i', type: 'x', time: '2026-11-19T12:00:00Z' }] }), { profile: null, session: null });
    expect([offline.profile.firstVisitAt, offline.profile.lastVisitAt, offline.session.startedAt, offline.session.lastEventAt]).toEqual(Array(4).fill('2026-11-19T12:00:00.000Z'));
    // Further back (a clock far behind, an import of last year): the event keeps its time, the visit is dated when received.
    const behind = envelopeFor({ profile: { id: 'p-behind' }, session: { id: 's-behind' }, events: [{ id: 'b', type: 'x', time: '2025-01-05T12:00:00Z' }] });
    const dated = collect(behind, { profile: null, session: null });
    expect(dated.events[0]?.time).toBe('2025-01-05T12:00:00.000Z');
    expect([dated.profile.firstVisitAt, dated.session.startedAt]).toEqual([new Date(behind.receivedAt).toISOString(), new Date(behind.receivedAt).toISOString()]);
    // A clock ahead of the edge's: the event keeps its time, the visit goes no later than received.
    const ahead = envelopeFor({ events: [{ id: 'future', type: 'x', time: '2030-01-01T00:00:00Z' }] });
    const received = new Date(ahead.receivedAt).toISOString();
    const fromTheFuture = collect(ahead, late);
    expect(fromTheFuture.events[0]?.time).toBe('2030-01-01T00:00:00.000Z');
    expect(fromTheFuture.profile.lastVisitAt).toBe(received);
    expect(fromTheFuture.session.lastEventAt).toBe(received);
  });

  it('corrects the events\' own times for the client\'s clock when the request says when it was sent', () => {
    const receivedAt = Date.parse('2026-11-23T10:00:00Z');
    // The device's clock is an hour behind: it sent at 09:00:02 by its clock, the edge received at 10:00:00.
    const behind = envelopeFor(
      {
        profile: { id: 'p-skew' },
        session: { id: 's-skew' },
        sentAt: '2026-11-23T09:00:02.000Z',
        events: [
          { id: 'clicked', type: 'x', time: '2026-11-23T08:59:50.000Z' },
          { id: 'untimed', type: 'x' },
          { id: 'epoch', type: 'x', time: Date.parse('2026-11-23T09:00:01.500Z') },
        ],
      },
      { receivedAt },
    );
    const corrected = collect(behind, { profile: null, session: null });
    expect(corrected.events.map((event) => event.time)).toEqual(['2026-11-23T09:59:48.000Z', '2026-11-23T10:00:00.000Z', '2026-11-23T09:59:59.500Z']);
    // The client's own time is kept beside a corrected one (not for an event without a time of its own).
    expect(corrected.events.map((event) => event.clientTime)).toEqual(['2026-11-23T08:59:50.000Z', undefined, '2026-11-23T09:00:01.500Z']);
    expect(corrected.events[1]).not.toHaveProperty('clientTime');
    // A retry that took longer in transit: another corrected time, the same client time (the store places the event by it).
    const retried = collect({ ...behind, receivedAt: receivedAt + 700 }, { profile: null, session: null });
    expect(retried.events[0]).toMatchObject({ time: '2026-11-23T09:59:48.700Z', clientTime: '2026-11-23T08:59:50.000Z' });
    // The session and the visit go by the corrected times.
    expect([corrected.session.startedAt, corrected.session.lastEventAt, corrected.profile.firstVisitAt]).toEqual(['2026-11-23T09:59:48.000Z', '2026-11-23T10:00:00.000Z', '2026-11-23T09:59:48.000Z']);
    // A clock ahead, sentAt in epoch milliseconds: moved back by as much.
    const ahead = envelopeFor({ sentAt: receivedAt + 3_600_000, events: [{ id: 'a', type: 'x', time: '2026-11-23T10:59:59.000Z' }] }, { receivedAt });
    expect(collect(ahead, { profile: null, session: null }).events[0]?.time).toBe('2026-11-23T09:59:59.000Z');
    // Without sentAt, the client's time stands as it is.
    const unsent = envelopeFor({ events: [{ id: 'u', type: 'x', time: '2026-11-23T08:59:50.000Z' }] }, { receivedAt });
    const asSent = collect(unsent, { profile: null, session: null }).events[0];
    expect(asSent?.time).toBe('2026-11-23T08:59:50.000Z');
    expect(asSent).not.toHaveProperty('clientTime');
    // Epoch seconds (time and sentAt, a Python client's time.time()) are read as seconds, not as January 1970.
    const seconds = envelopeFor({ sentAt: receivedAt / 1000 - 3600, events: [{ id: 's', type: 'x', time: Date.parse('2026-11-23T08:59:50.250Z') / 1000 }] }, { receivedAt });
    expect(collect(seconds, { profile: null, session: null }).events[0]).toMatchObject({ time: '2026-11-23T09:59:50.250Z', clientTime: '2026-11-23T08:59:50.250Z' });
  });

  it('continues a known session without counting a new visit', () => {
    const first = collect(envelopeFor({ events: [{ id: 'a', type: 'x' }] }), { profile: null, session: null });
    const next = collect(envelopeFor({ events: [{ id: 'b', type: 'y' }] }), first);
    expect(next.profile).toMatchObject({ visits: 1, eventCount: 2 });
    expect(next.session).toMatchObject({ eventCount: 2, version: 2, startedAt: first.session.startedAt });
  });

  it('does not count a redelivered request twice, but still emits its events', () => {
    const envelope = envelopeFor({ events: [{ id: 'a', type: 'x' }] });
    const first = collect(envelope, { profile: null, session: null });
    const again = collect(envelope, first);
    expect(again.profile).toMatchObject({ visits: 1, eventCount: 1 });
    expect(again.session.eventCount).toBe(1);
    expect(again.events.map((e) => e.id)).toEqual(['a']);
  });

  it('does not count events again when a client retries them in a new request', () => {
    const first = collect(envelopeFor({ events: [{ id: 'a', type: 'x' }, { id: 'b', type: 'x' }] }), { profile: null, session: null });
    const retry = collect(envelopeFor({ events: [{ id: 'b', type: 'x' }, { id: 'c', type: 'x' }] }), first);
    expect(retry.profile.eventCount).toBe(3);
    expect(retry.session.eventCount).toBe(3);
  });

  it('remembers a bounded number of event ids', () => {
    let state = collect(envelopeFor({ events: [] }), { profile: null, session: null });
    for (let i = 0; i < RECENT_EVENTS_KEPT + 5; i++) state = collect(envelopeFor({ events: [{ id: `e${i}`, type: 'x' }] }), state);
    expect(rememberedCount(state.profile.recentEventIds)).toBe(RECENT_EVENTS_KEPT);
    expect(state.profile.recentEventIds).toHaveLength(1); // one packed string
    expect(state.profile.eventCount).toBe(RECENT_EVENTS_KEPT + 5);
  });

  it('merges identify traits into the profile', () => {
    const first = collect(envelopeFor({ events: [{ id: 'a', type: 'identify', properties: { traits: { email: 'a@b.test', plan: 'free' } } }] }), {
      profile: null,
      session: null,
    });
    const next = collect(envelopeFor({ events: [{ id: 'b', type: 'identify', properties: { plan: 'pro' } }] }), first);
    expect(next.profile.traits).toEqual({ email: 'a@b.test', plan: 'pro' });
  });

  it('merges event context over the payload context and falls back to the Referer header for the page', () => {
    const envelope = envelopeFor(
      { context: { app: 'web', page: { title: 'Home' } }, events: [{ id: 'a', type: 'x', context: { app: 'spa' } }] },
      { meta: { referer: 'https://shop.test/home' } },
    );
    const { events } = collect(envelope, { profile: null, session: null });
    expect(events[0]?.context).toMatchObject({ app: 'spa', page: { title: 'Home' } });
    expect(events[0]?.page).toEqual({ url: 'https://shop.test/home', path: '/home', title: 'Home' });
  });

  it('recognises a redelivered request of the largest size after as many other events as the window leaves room for', () => {
    const big = envelopeFor({ events: Array.from({ length: MOST_EVENTS_PER_REQUEST }, (_, i) => ({ id: `big-${i}`, type: 'x' })) });
    let state = collect(big, { profile: null, session: null });
    const others = RECENT_EVENTS_KEPT - MOST_EVENTS_PER_REQUEST;
    for (let i = 0; i < others; i++) state = collect(envelopeFor({ events: [{ id: `small-${i}`, type: 'x' }] }), state);
    const again = collect(big, state);
    expect(again.profile.eventCount).toBe(RECENT_EVENTS_KEPT);
    expect(again.session.eventCount).toBe(RECENT_EVENTS_KEPT);
    expect(again.events).toHaveLength(MOST_EVENTS_PER_REQUEST);
    // One event more and the request's oldest event has left the window: counted again.
    const past = collect(big, collect(envelopeFor({ events: [{ id: 'one-more', type: 'x' }] }), state));
    expect(past.profile.eventCount).toBe(RECENT_EVENTS_KEPT + 2);
  });

  it('counts an event id repeated inside one request once', () => {
    const { profile, session } = collect(envelopeFor({ events: [{ id: 'same', type: 'x' }, { id: 'same', type: 'x' }] }), { profile: null, session: null });
    expect(profile.eventCount).toBe(1);
    expect(session.eventCount).toBe(1);
  });

  it('takes the landing page, referrer and UTM from the events when the request has no page context', () => {
    const url = 'https://shop.test/sale?utm_source=mail&utm_medium=email';
    const { session, events } = collect(
      envelopeFor({ events: [{ id: 'pv', type: 'page-view', context: { page: { url, title: 'Sale', referrer: 'https://mail.test/' } } }] }),
      { profile: null, session: null },
    );
    expect(session).toMatchObject({ landingPage: { url, path: '/sale', title: 'Sale' }, referrer: 'https://mail.test/', utm: { source: 'mail', medium: 'email' } });
    expect(events[0]?.page).toMatchObject({ url, title: 'Sale' });
  });

  it("reads every event's UTM parameters from its page address, and keeps a utm the client sent", () => {
    const url = 'https://shop.test/sale?utm_source=mail&utm_id=42&utm_source=second&utm_source_platform=crm&q=1';
    const { events, session } = collect(
      envelopeFor({
        context: { page: { url } },
        events: [
          { id: 'a', type: 'page-view' },
          { id: 'b', type: 'page-view', context: { page: { url: 'https://shop.test/next?utm_campaign=fall' } } },
          { id: 'c', type: 'page-view', context: { utm: { source: 'sent' } } },
          { id: 'd', type: 'page-view', context: { page: { url: 'https://shop.test/plain' } } },
        ],
      }),
      { profile: null, session: null },
    );
    const utm = { source: 'mail', id: '42', source_platform: 'crm' };
    expect(events.map((e) => e.context['utm'])).toEqual([utm, { campaign: 'fall' }, { source: 'sent' }, undefined]);
    expect(session.utm).toEqual(utm);
    expect(session.context['utm']).toEqual(utm);
  });

  it('leaves out UTM names a record may not carry, so that a link cannot pollute or bloat what is stored', () => {
    const long = 'x'.repeat(65);
    const url = `https://shop.test/?utm_=empty&utm___proto__=polluted&utm_${long}=long&utm_a%00b=nul&utm_a.b=dot&utm_empty=&utm_constructor=c&utm_ok=1`;
    const { events, session } = collect(envelopeFor({ context: { page: { url } }, events: [{ id: 'a', type: 'page-view' }] }), { profile: null, session: null });
    const utm = events[0]?.context['utm'] as Record<string, string>;
    expect(Object.getPrototypeOf(utm)).toBe(Object.prototype);
    expect(Object.keys(utm)).toEqual(['constructor', 'ok']);
    expect(session.utm).toEqual(utm);
  });

  it('keeps short marks, not raw ids, so long client ids do not bloat the profile', () => {
    const id = 'x'.repeat(128);
    const { profile } = collect(envelopeFor({ events: [{ id, type: 'x' }] }), { profile: null, session: null });
    expect(profile.recentEventIds).toEqual([eventMark(id)]);
    expect(eventMark(id)).toHaveLength(8);
    expect(eventMark(id)).not.toBe(eventMark(id.slice(1) + 'y'));
  });

  it('recognises events counted by a record written with the older marks, and ages those out first', () => {
    const first = collect(envelopeFor({ events: [{ id: 'a', type: 'x' }] }), { profile: null, session: null });
    const old = { ...first.profile, recentEventIds: ['a', 'b'].map(legacyEventMark) };
    const again = collect(envelopeFor({ events: [{ id: 'b', type: 'x' }, { id: 'c', type: 'x' }] }), { profile: old, session: first.session });
    expect(again.profile.eventCount).toBe(first.profile.eventCount + 1);
    expect(again.profile.recentEventIds).toEqual([legacyEventMark('a'), legacyEventMark('b'), eventMark('c')]);
    let state = again;
    for (let i = 0; i < RECENT_EVENTS_KEPT - 1; i++) state = collect(envelopeFor({ events: [{ id: `e${i}`, type: 'x' }] }), state);
    expect(state.profile.recentEventIds).toHaveLength(1);
    expect(rememberedCount(state.profile.recentEventIds)).toBe(RECENT_EVENTS_KEPT);
  });

  it('keeps at most MAX_TRAITS traits, dropping those set longest ago', () => {
    const identify = (from: number, count: number) =>
      envelopeFor({ events: [{ id: `id-${from}`, type: 'identify', properties: Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${from + i}`, i])) }] });
    let state = collect(identify(0, 800), { profile: null, session: null });
    state = collect(identify(800, 800), state);
    const keys = Object.keys(state.profile.traits);
    expect(keys).toHaveLength(MAX_TRAITS);
    expect(keys[0]).toBe(`t${1600 - MAX_TRAITS}`);
    expect(keys.at(-1)).toBe('t1599');
  });

  it('counts for the session and the visit once even when only the profile or only the session had the request', () => {
    const envelope = envelopeFor({ events: [{ id: 'e1', type: 'x' }, { id: 'e2', type: 'x' }] });
    const applied = collect(envelope, { profile: null, session: null });
    // The profile was stored with the request, the session not (its write lost to a newer copy elsewhere).
    const again = collect(envelope, { profile: applied.profile, session: null });
    expect(again.session.eventCount).toBe(2);
    expect(again.profile).toMatchObject({ eventCount: 2, visits: 1 });
    // The session was stored with the request, the profile not.
    const other = collect(envelope, { profile: null, session: applied.session });
    expect(other.profile.eventCount).toBe(2);
    expect(other.session.eventCount).toBe(2);
  });
});
