import { describe, expect, it } from 'vitest';
import { decodeEnvelope, derivedSessionId, encodeEnvelope, normalizePayload, PoisonMessageError, profileIdForSession } from '@inflow/core';
import { envelopeFor } from '../test-support/fixtures.js';

describe('envelope', () => {
  it('round-trips, splicing the raw body in unchanged', () => {
    const envelope = envelopeFor({ events: [{ id: 'e-1', type: 'page-view', properties: { q: 'ünïcode' } }] });
    const raw = JSON.stringify(envelope.payload);
    expect(decodeEnvelope(encodeEnvelope(envelope, raw))).toEqual(envelope);
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it.each([
    ['not JSON', Buffer.from('{nope'), 'not JSON'],
    ['wrong version', Buffer.from('{"v":2}'), 'version'],
    ['no id', Buffer.from('{"v":1,"receivedAt":1,"payload":{}}'), 'id is missing'],
    ['bad payload', Buffer.from('{"v":1,"id":"r","receivedAt":1,"payload":{"source":{"id":"s"},"events":[{"type":1}]}}'), 'events.0.type'],
    ['missing ids', Buffer.from('{"v":1,"id":"r","receivedAt":1,"payload":{"source":{"id":"s"},"events":[{"type":"x"}]}}'), 'without id'],
  ])('rejects %s as a poison message with the reason', (_, data, reason) => {
    expect(() => decodeEnvelope(data)).toThrow(PoisonMessageError);
    expect(() => decodeEnvelope(data)).toThrow(reason);
  });
});

describe('normalizePayload', () => {
  it('fills missing profile, session and event ids and keeps given ones', () => {
    let n = 0;
    const { payload, changed } = normalizePayload(
      { source: { id: 's' }, profile: null, events: [{ type: 'a' }, { id: 'keep', type: 'b' }] },
      () => `id-${++n}`,
    );
    expect(changed).toBe(true);
    expect(payload.profile.id).toBe('id-1');
    expect(payload.session.id).toBe('id-2');
    expect(payload.events.map((e) => e.id)).toEqual(['id-3', 'keep']);
  });

  it('leaves the profile of a request that names only a session to its session, with a fallback derived from the session id', () => {
    let n = 0;
    const newId = () => `id-${++n}`;
    const first = normalizePayload({ source: { id: 's' }, session: { id: 'visit-1' }, events: [{ type: 'a' }] }, newId);
    const again = normalizePayload({ source: { id: 's' }, profile: null, session: { id: 'visit-1' }, events: [{ type: 'b' }] }, newId);
    expect(first.profileFromSession).toBe(true);
    expect(first.payload.profile.id).toBe(profileIdForSession('visit-1'));
    expect(again.payload.profile.id).toBe(first.payload.profile.id);
    expect(profileIdForSession('visit-2')).not.toBe(first.payload.profile.id);
    expect(first.payload.profile.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first.payload.events[0]?.id).toBe('id-1');
    // Neither profile nor session: new ids for both, as before.
    const anonymous = normalizePayload({ source: { id: 's' }, events: [] }, newId);
    expect(anonymous.profileFromSession).toBe(false);
    expect([anonymous.payload.profile.id, anonymous.payload.session.id]).toEqual(['id-3', 'id-4']);
  });

  it('gives a request that names a profile but no session the session of its source, profile and half hour, by its first event\'s time, else now', () => {
    const newId = () => 'random';
    const at = Date.parse('2026-06-01T10:05:00Z');
    const clock = () => at;
    const session = (profile: string, time?: string, source = 's', now = clock) =>
      normalizePayload({ source: { id: source }, profile: { id: profile }, events: [{ type: 'a', ...(time ? { time } : {}) }] }, newId, now).payload.session.id;
    expect(session('p')).toBe(derivedSessionId('s', 'p', at));
    expect(session('p')).toBe(session('p', '2026-06-01T10:29:59Z'));
    expect(session('p', '2026-06-01T10:30:00Z')).not.toBe(session('p'));
    expect(session('q')).not.toBe(session('p'));
    expect(session('p', undefined, 'other')).not.toBe(session('p'));
    // An event time the contract would refuse does not decide it: the clock does.
    expect(session('p', 'not a time', 's', () => at + 60_000)).toBe(session('p'));
    expect(session('p')).not.toBe('random');
    // With sentAt, still by the client's own time, which every attempt repeats (the corrected time moves with each one's transit).
    const sent = (sentAt: string, now: number) =>
      normalizePayload({ source: { id: 's' }, profile: { id: 'p' }, sentAt, events: [{ type: 'a', time: '2026-06-01T09:29:59Z' }] }, newId, () => now).payload.session.id;
    expect(sent('2026-06-01T09:30:00Z', Date.parse('2026-06-01T10:29:59.500Z'))).toBe(sent('2026-06-01T09:30:00Z', Date.parse('2026-06-01T10:30:00.400Z')));
    expect(sent('2026-06-01T09:30:00Z', at)).toBe(session('p', '2026-06-01T09:29:59Z'));
  });

  it('leaves out an unreadable sentAt or event time that an older edge queued, instead of refusing the request, and keeps the message as queued', () => {
    const queued = envelopeFor({ events: [{ id: 'e', type: 'a', time: '2026-11-23T09:00:00Z' }] });
    for (const sentAt of ['yesterday', null, { create: '2026-11-23T09:00:00Z' }]) {
      const parsed = JSON.parse(encodeEnvelope(queued, JSON.stringify({ ...queued.payload, sentAt })).toString()) as { payload: Record<string, unknown> };
      const decoded = decodeEnvelope(new Uint8Array(), parsed);
      expect(decoded.payload).toEqual(queued.payload);
      // The parsed message itself is untouched: a dead letter made of it keeps what was queued.
      expect(parsed.payload['sentAt']).toEqual(sentAt);
    }
    // A zone before the time of day, read since in the server's zone and now refused: that event is stored at the time received.
    const zoneFirst = envelopeFor({ events: [{ id: 'z', type: 'a', time: 'GMT Mon, 01 Jan 2024 10:00:00' }, { id: 'k', type: 'a', time: '2026-11-23T09:00:00Z' }] });
    const decoded = decodeEnvelope(encodeEnvelope(zoneFirst));
    expect(decoded.payload.events).toEqual([{ id: 'z', type: 'a' }, { id: 'k', type: 'a', time: '2026-11-23T09:00:00Z' }]);
    const readable = decodeEnvelope(encodeEnvelope(queued, JSON.stringify({ ...queued.payload, sentAt: 1_763_888_400_000 })));
    expect(readable.payload.sentAt).toBe(1_763_888_400_000);
  });

  it('carries profileFromSession through the queue, and leaves it out when not set', () => {
    const flagged = envelopeFor({ events: [{ id: 'e', type: 'a' }] }, { profileFromSession: true });
    expect(decodeEnvelope(encodeEnvelope(flagged)).profileFromSession).toBe(true);
    const plain = envelopeFor({ events: [{ id: 'e', type: 'a' }] });
    expect(encodeEnvelope(plain).toString()).not.toContain('profileFromSession');
    expect(decodeEnvelope(encodeEnvelope(plain))).not.toHaveProperty('profileFromSession');
  });

  it('leaves a complete payload untouched so the raw body can be queued', () => {
    const input = { source: { id: 's' }, profile: { id: 'p' }, session: { id: 's' }, events: [{ id: 'e', type: 'a' }] };
    const result = normalizePayload(input);
    expect(result.changed).toBe(false);
    expect(result.payload).toBe(input);
  });
});
