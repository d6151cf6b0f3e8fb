import { describe, expect, it } from 'vitest';
import { derivedSessionId, SESSION_WINDOW_MS } from '@inflow/core';
import { correctedTimeMs, sentAtMs } from '@inflow/protocol';
import { queuedTimes } from './event-time.js';
import { groupByProfile } from './group-by-profile.js';
import { mapMessage } from './map-message.js';
import { checkMessage, type SegmentMessage, type SegmentType } from './segment-message.js';
import { writeKeyFromBody, writeKeyFromHeader } from './write-key.js';

const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
const RECEIVED = Date.parse('2026-11-29T12:00:00.000Z');

function checked(value: unknown, type?: SegmentMessage['type']): SegmentMessage {
  const check = checkMessage(value, type);
  if (!check.ok) throw new Error(`${check.field} ${check.problem}`);
  return check.message;
}

describe('write key', () => {
  it('is the user name of Basic auth, with or without the colon; anything else is no key', () => {
    expect(writeKeyFromHeader(basic('abc123:'))).toBe('abc123');
    expect(writeKeyFromHeader(basic('abc123'))).toBe('abc123');
    expect(writeKeyFromHeader(basic('abc123:ignored-password'))).toBe('abc123');
    expect(writeKeyFromHeader('basic YWJjMTIzOg==')).toBe('abc123');
    expect(writeKeyFromHeader(basic(':'))).toBeUndefined();
    expect(writeKeyFromHeader('Bearer abc123')).toBeUndefined();
    expect(writeKeyFromHeader(undefined)).toBeUndefined();
  });

  it('may come in the body instead', () => {
    expect(writeKeyFromBody({ writeKey: 'k' })).toBe('k');
    expect(writeKeyFromBody({ writeKey: '' })).toBeUndefined();
    expect(writeKeyFromBody({ writeKey: 42 })).toBeUndefined();
  });
});

/** The time the collector stores for a message: its own time as queued, corrected by the queued sentAt (correctedTimeMs, the collector's). */
function storedTime(times: Parameters<typeof queuedTimes>[0], batchSentAt: string | number | undefined, receivedAt: number): number {
  const queued = queuedTimes(times, batchSentAt);
  return queued.own === undefined ? receivedAt : correctedTimeMs(queued.own, queued.sentAt === undefined ? undefined : sentAtMs(queued.sentAt), receivedAt);
}

describe('clock skew correction', () => {
  const cases: Array<[string, Parameters<typeof queuedTimes>[0], string | undefined, string]> = [
    ['client clock 1 h behind: timestamp + (receivedAt − sentAt)', { timestamp: '2026-11-29T10:59:00.000Z', sentAt: '2026-11-29T11:00:00.000Z' }, undefined, '2026-11-29T11:59:00.000Z'],
    ['client clock 5 min ahead', { timestamp: '2026-11-29T12:04:30.000Z', sentAt: '2026-11-29T12:05:00.000Z' }, undefined, '2026-11-29T11:59:30.000Z'],
    ['sentAt of the batch when the message has none', { timestamp: '2026-11-29T10:59:00.000Z' }, '2026-11-29T11:00:00.000Z', '2026-11-29T11:59:00.000Z'],
    ["the message's sentAt wins over the batch's", { timestamp: '2026-11-29T10:59:00.000Z', sentAt: '2026-11-29T11:00:00.000Z' }, '2026-11-29T00:00:00.000Z', '2026-11-29T11:59:00.000Z'],
    ['no sentAt: the timestamp as it is', { timestamp: '2026-01-01T00:00:00.000Z' }, undefined, '2026-01-01T00:00:00.000Z'],
    // RudderStack's Node client stamps originalTimestamp with the time of the call and puts the caller's (a past event) in timestamp.
    ['timestamp wins over originalTimestamp when both are given', { originalTimestamp: '2026-11-29T10:58:00.000Z', timestamp: '2026-11-20T08:00:00.000Z', sentAt: '2026-11-29T10:58:00.000Z' }, undefined, '2026-11-20T09:02:00.000Z'],
    ['originalTimestamp when there is no timestamp', { originalTimestamp: '2026-11-29T10:58:00.000Z', sentAt: '2026-11-29T11:00:00.000Z' }, undefined, '2026-11-29T11:58:00.000Z'],
    ['no client time: when it was received', { sentAt: '2020-01-01T00:00:00.000Z' }, undefined, '2026-11-29T12:00:00.000Z'],
    ['epoch milliseconds are read too', { timestamp: Date.parse('2026-11-29T10:59:00.000Z'), sentAt: Date.parse('2026-11-29T11:00:00.000Z') }, undefined, '2026-11-29T11:59:00.000Z'],
    ["a batch's sentAt without a zone is UTC, as every time is", { timestamp: '2026-11-29T10:59:00.000Z' }, '2026-11-29 11:00:00', '2026-11-29T11:59:00.000Z'],
    ['a sentAt that is no time corrects nothing', { timestamp: '2026-11-29T10:59:00.000Z' }, 'hello 2026', '2026-11-29T10:59:00.000Z'],
  ];
  it.each(cases)('%s', (_, times, batchSentAt, expected) => {
    const zone = process.env['TZ'];
    // Not this server's zone, wherever it runs.
    process.env['TZ'] = 'Asia/Kolkata';
    try {
      expect(new Date(storedTime(times, batchSentAt, RECEIVED)).toISOString()).toBe(expected);
    } finally {
      if (zone === undefined) delete process.env['TZ'];
      else process.env['TZ'] = zone;
    }
  });

  it('keeps the client time when the correction would leave the years storage can index', () => {
    const client = Date.parse('9999-12-31T00:00:00.000Z');
    expect(storedTime({ timestamp: client, sentAt: RECEIVED - 7 * 86_400_000 }, undefined, RECEIVED)).toBe(client);
  });
});

describe('message check', () => {
  it('names the field at fault', () => {
    const problems: Array<[unknown, SegmentMessage['type'] | undefined, string]> = [
      [{ type: 'track', event: 'x' }, undefined, 'userId'],
      [{ type: 'nope', userId: 'u' }, undefined, 'type'],
      [{ userId: 'u' }, undefined, 'type'],
      [{ type: 'track', userId: 'u' }, undefined, 'event'],
      [{ userId: 'u', event: '' }, 'track', 'event'],
      [{ userId: 'u', event: 'x'.repeat(129) }, 'track', 'event'],
      // A control character in the event name is named as the client knows the field.
      [{ userId: 'u', event: 'sign\u0007up' }, 'track', 'event'],
      [{ userId: 'u', event: 'e', properties: [1] }, 'track', 'properties'],
      [{ userId: { id: 1 }, event: 'e' }, 'track', 'userId'],
      [{ userId: 'x'.repeat(129), event: 'e' }, 'track', 'userId'],
      [{ userId: 'u', event: 'e', messageId: Number.POSITIVE_INFINITY }, 'track', 'messageId'],
      [{ userId: 'u', event: 'e', timestamp: 'yesterday' }, 'track', 'timestamp'],
      // Numbers past the years storage indexes (past 8.64e15, no Date at all) are refused, not mapped.
      [{ userId: 'u', event: 'e', timestamp: 1e300 }, 'track', 'timestamp'],
      [{ userId: 'u', event: 'e', originalTimestamp: 9e15 }, 'track', 'originalTimestamp'],
      [{ userId: 'u', event: 'e', sentAt: -1e17 }, 'track', 'sentAt'],
      [{ userId: 'u', event: 'e', timestamp: '+010000-01-01T00:00:00Z' }, 'track', 'timestamp'],
      [{ userId: 'u' }, 'group', 'groupId'],
      [{ userId: 'u' }, 'alias', 'previousId'],
      [{ anonymousId: 'a', previousId: 'p' }, 'alias', 'userId'],
      ['text', 'track', ''],
    ];
    for (const [value, type, field] of problems) {
      const check = checkMessage(value, type);
      expect(check.ok, JSON.stringify(value)).toBe(false);
      if (!check.ok) expect(check.field).toBe(field);
    }
    // Problems read after their field's name.
    const said = (value: unknown, type: SegmentType): string => {
      const check = checkMessage(value, type);
      return check.ok ? 'accepted' : `${check.field} ${check.problem}`;
    };
    expect(said({ userId: 'u' }, 'group')).toBe('groupId is required in a group call');
    expect(said({ event: 'e' }, 'track')).toBe('userId or anonymousId is required in every message');
    expect(said({ userId: 'u', event: 'a\u0000b' }, 'track')).toBe('event must not contain control characters or unpaired UTF-16 surrogates');
    // Read from JSON, 12345678901234567890 is already 12345678901234567000: two users would be one profile.
    expect(said(JSON.parse('{"userId":12345678901234567890,"event":"e"}'), 'track')).toMatch(/^userId is a number past 2\^53 .*send it as a string$/);
    expect(said({ anonymousId: -(2 ** 53), event: 'e' }, 'track')).toMatch(/^anonymousId is a number past 2\^53/);
    expect(said({ userId: Number.MAX_SAFE_INTEGER, event: 'e' }, 'track')).toBe('accepted');
  });

  it('takes numeric ids as strings and an empty userId as absent', () => {
    expect(checked({ userId: 42, event: 'e' }, 'track').userId).toBe('42');
    expect(checked({ userId: '', anonymousId: 'anon', event: 'e' }, 'track')).toMatchObject({ anonymousId: 'anon' });
    expect(checked({ userId: '', anonymousId: 'anon', event: 'e' }, 'track').userId).toBeUndefined();
  });

  it("lets the endpoint's type win over the message's", () => {
    expect(checked({ type: 'track', userId: 'u' }, 'identify').type).toBe('identify');
  });
});

describe('mapping a message to an event', () => {
  const context = { page: { url: 'https://shop.test/?utm_source=news', referrer: 'https://ref.test/' }, userAgent: 'UA/1', ip: '203.0.113.9' };

  it('track: the event name is the type; messageId the id; userId the profile, anonymousId kept in context', () => {
    const mapped = mapMessage(checked({ userId: 'u1', anonymousId: 'a1', messageId: 'm1', event: 'Order Completed', properties: { total: 9 }, context }, 'track'), {}, RECEIVED);
    expect(mapped).toMatchObject({ profileId: 'u1', userAgent: 'UA/1', ip: '203.0.113.9' });
    expect(mapped.event).toEqual({
      id: 'm1',
      type: 'Order Completed',
      properties: { total: 9 },
      context: { ...context, segment: { userId: 'u1', anonymousId: 'a1' } },
    });
    // No time of its own: the collector stores it at the time received, and its session goes by that.
    expect(mapped.windowTime).toBe(RECEIVED);
    expect(mapped.sentAt).toBeUndefined();
  });

  it('the anonymousId is the profile when there is no userId', () => {
    expect(mapMessage(checked({ anonymousId: 'a1', event: 'x' }, 'track'), {}, RECEIVED).profileId).toBe('a1');
  });

  it('page and screen: page-view and screen-view with name and category in the properties', () => {
    const page = mapMessage(checked({ anonymousId: 'a', name: 'Home', category: 'Docs', properties: { path: '/' } }, 'page'), {}, RECEIVED);
    expect(page.event).toMatchObject({ type: 'page-view', properties: { path: '/', name: 'Home', category: 'Docs' } });
    const screen = mapMessage(checked({ anonymousId: 'a', name: 'Settings' }, 'screen'), {}, RECEIVED);
    expect(screen.event).toMatchObject({ type: 'screen-view', properties: { name: 'Settings' } });
  });

  it('identify: an identify event whose properties.traits the collector merges into the profile', () => {
    const identify = mapMessage(checked({ userId: 'u', traits: { email: 'j@x.test' } }, 'identify'), {}, RECEIVED);
    expect(identify.event).toMatchObject({ type: 'identify', properties: { traits: { email: 'j@x.test' } } });
    const legacy = mapMessage(checked({ userId: 'u', context: { traits: { plan: 'pro' } } }, 'identify'), {}, RECEIVED);
    expect(legacy.event.properties).toEqual({ traits: { plan: 'pro' } });
  });

  it('group and alias keep their ids', () => {
    expect(mapMessage(checked({ userId: 'u', groupId: 7, traits: { name: 'Acme' } }, 'group'), {}, RECEIVED).event).toMatchObject({
      type: 'group',
      properties: { groupId: '7', traits: { name: 'Acme' } },
    });
    expect(mapMessage(checked({ userId: 'u', previousId: 'anon-1' }, 'alias'), {}, RECEIVED).event).toMatchObject({
      type: 'alias',
      properties: { previousId: 'anon-1', userId: 'u' },
    });
  });

  it("merges the batch's context under the message's, and queues the client's own time with the sentAt that corrects it", () => {
    const mapped = mapMessage(
      checked({ userId: 'u', event: 'e', timestamp: '2026-11-29T10:59:00.000Z', context: { locale: 'de' } }, 'track'),
      { context: { locale: 'en', library: { name: 'x' } }, sentAt: '2026-11-29T11:00:00.000Z' },
      RECEIVED,
    );
    // Corrected by the collector (to 11:59, clock skew correction above); a retry queues the same own time.
    expect(mapped.event.time).toBe('2026-11-29T10:59:00.000Z');
    expect(mapped.sentAt).toBe('2026-11-29T11:00:00.000Z');
    expect(mapped.windowTime).toBe(Date.parse('2026-11-29T10:59:00.000Z'));
    expect(mapped.event.context).toEqual({ locale: 'de', library: { name: 'x' }, segment: { userId: 'u', timestamp: '2026-11-29T10:59:00.000Z' } });
  });
});

describe('sessions and groups', () => {
  it('derives the same session for a profile within a 30-minute window, another one after it', () => {
    const start = Math.floor(RECEIVED / SESSION_WINDOW_MS) * SESSION_WINDOW_MS;
    const a = derivedSessionId('web', 'u', start);
    expect(derivedSessionId('web', 'u', start + SESSION_WINDOW_MS - 1)).toBe(a);
    expect(derivedSessionId('web', 'u', start + SESSION_WINDOW_MS)).not.toBe(a);
    expect(derivedSessionId('web', 'v', start)).not.toBe(a);
    expect(derivedSessionId('app', 'u', start)).not.toBe(a);
    expect(a.length).toBeLessThanOrEqual(128);
  });

  it('one group per profile and session, in the order of the batch, cut at maxEvents', () => {
    const messages = ['u1', 'u2', 'u1', 'u1', 'u1', 'u2'].map((profileId, index) => ({
      index,
      message: mapMessage(checked({ userId: profileId, event: `e${index}` }, 'track'), {}, RECEIVED),
    }));
    const groups = groupByProfile('web', messages, 3);
    expect(groups.map((g) => [g.profileId, g.indexes])).toEqual([
      ['u1', [0, 2, 3]],
      ['u2', [1, 5]],
      ['u1', [4]],
    ]);
    expect(groups[0]?.events.map((e) => e.type)).toEqual(['e0', 'e2', 'e3']);
    expect(groups[0]?.sessionId).toBe(groups[2]?.sessionId);
  });

  it("a profile's next session starts its next group, so its events keep their order", () => {
    const start = Math.floor(RECEIVED / SESSION_WINDOW_MS) * SESSION_WINDOW_MS;
    const times = [start, start + SESSION_WINDOW_MS, start + 1];
    const messages = times.map((time, index) => ({
      index,
      message: mapMessage(checked({ userId: 'u1', event: `e${index}`, timestamp: new Date(time).toISOString() }, 'track'), {}, RECEIVED),
    }));
    const groups = groupByProfile('web', messages, 10);
    expect(groups.map((g) => g.indexes)).toEqual([[0], [1], [2]]);
    expect(groups[0]?.sessionId).toBe(groups[2]?.sessionId);
    expect(groups[1]?.sessionId).not.toBe(groups[0]?.sessionId);
  });

  it('cuts a group where the sentAt changes, and each group carries its own', () => {
    const batchSentAt = '2026-11-29T11:00:00.000Z';
    const own = ['2026-11-29T10:59:00.000Z', '2026-11-29T10:59:01.000Z', '2026-11-29T10:59:02.000Z'];
    const messages = [undefined, '2026-11-29T11:00:05.000Z', undefined].map((sentAt, index) => ({
      index,
      message: mapMessage(checked({ userId: 'u1', event: `e${index}`, timestamp: own[index], ...(sentAt ? { sentAt } : {}) }, 'track'), { sentAt: batchSentAt }, RECEIVED),
    }));
    const groups = groupByProfile('web', messages, 10);
    expect(groups.map((g) => [g.indexes, g.sentAt])).toEqual([
      [[0], batchSentAt],
      [[1], '2026-11-29T11:00:05.000Z'],
      [[2], batchSentAt],
    ]);
  });

  it("a retry sent later (another sentAt, another receipt) queues the same times and the same session, across a half hour", () => {
    // The event happened a second before a half hour ends; corrected by each attempt's transit, the
    // first (0.5 s) stays before it and the retry (1.4 s) would have crossed into the next window.
    const end = Math.floor(RECEIVED / SESSION_WINDOW_MS) * SESSION_WINDOW_MS - 3_600_000;
    const message = checked({ userId: 'u1', messageId: 'm1', event: 'e', timestamp: new Date(end - 1_000).toISOString() }, 'track');
    const first = mapMessage(message, { sentAt: new Date(end - 500).toISOString() }, RECEIVED - 3_600_000 + 10);
    const retry = mapMessage(message, { sentAt: new Date(end + 20_000).toISOString() }, RECEIVED - 3_600_000 + 20_510 + 900);
    expect(retry.event.time).toBe(first.event.time);
    expect(groupByProfile('web', [{ index: 0, message: retry }], 10)[0]?.sessionId).toBe(groupByProfile('web', [{ index: 0, message: first }], 10)[0]?.sessionId);
  });
});
