import { describe, expect, it } from 'vitest';
import { checkTrackRequest } from './check-track-request.js';

const source = { id: 'web' };

describe('checkTrackRequest', () => {
  it('accepts a valid request as it is, with nothing rejected', () => {
    const body = { source, profile: { id: 'p' }, events: [{ type: 'a' }, { id: 'e', type: 'b', time: 1763892000000 }] };
    const check = checkTrackRequest(body);
    expect(check).toEqual({ ok: true, payload: body, rejected: [] });
    if (check.ok) expect(check.payload).toBe(body);
  });

  it('with a depth limit, refuses an event nested past it alone, and the request for its own context past it', () => {
    /** `levels` levels: an object holding an array under "a", holding an object, and so on (arrays count too). */
    const nested = (levels: number, array = false): unknown => (levels === 1 ? {} : array ? [nested(levels - 1, false)] : { a: nested(levels - 1, true) });
    // The body is level 1, events 2, an event 3, its properties 4: 13 levels below properties reach level 16.
    const events = [
      { id: 'deepest', type: 'a', properties: nested(13) },
      { id: 'too-deep', type: 'b', context: nested(14) },
    ];
    const check = checkTrackRequest({ source, events }, { maxDepth: 16 });
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.payload.events).toEqual([events[0]]);
    expect(check.rejected).toEqual([
      { index: 1, id: 'too-deep', code: 'too_deep', path: `events.1.context${'.a.0'.repeat(6)}.a`, message: expect.stringContaining('more than 16 levels') },
    ]);
    // Without the limit (a body within it) nothing is measured.
    expect(checkTrackRequest({ source, events }).ok && checkTrackRequest({ source, events }).rejected).toEqual([]);
    // The request's own context starts at level 2.
    expect(checkTrackRequest({ source, context: nested(15), events: [{ type: 'a' }] }, { maxDepth: 16 }).ok).toBe(true);
    const refused = checkTrackRequest({ source, context: nested(16), events: [{ type: 'a' }] }, { maxDepth: 16 });
    expect(refused.ok ? undefined : [refused.problem.code, refused.problem.path]).toEqual(['too_deep', `context${'.a.0'.repeat(7)}.a`]);
  });

  it('refuses only the events with a problem and keeps the others in order', () => {
    const events = [
      { id: 'good-1', type: 'a' },
      { id: 'long-type', type: 'x'.repeat(129) },
      { type: 'b' },
      { id: 'i'.repeat(129), type: 'c' },
      { id: 'proto', type: 'd', properties: { user: JSON.parse('{"__proto__":{"admin":true}}') as unknown } },
      { id: 'late', type: 'e', time: 8.64e15 },
      7,
      { id: 'big', type: 'f', properties: { blob: 'x'.repeat(300) } },
      { id: 'good-2', type: 'g' },
    ];
    const check = checkTrackRequest({ source, events }, { maxEventBytes: 200 });
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.payload.events).toEqual([events[0], events[2], events[8]]);
    expect(check.rejected.map(({ index, id, code, path }) => ({ index, id, code, path }))).toEqual([
      { index: 1, id: 'long-type', code: 'invalid_payload', path: 'events.1.type' },
      { index: 3, id: undefined, code: 'invalid_payload', path: 'events.3.id' },
      { index: 4, id: 'proto', code: 'invalid_payload', path: 'events.4.properties.user' },
      { index: 5, id: 'late', code: 'invalid_payload', path: 'events.5.time' },
      { index: 6, id: undefined, code: 'invalid_payload', path: 'events.6' },
      { index: 7, id: 'big', code: 'event_too_large', path: 'events.7' },
    ]);
    expect(check.rejected[0]?.message).toBe('events.1.type must be a non-empty string of at most 128 characters');
    expect(check.rejected[1]).not.toHaveProperty('id');
  });

  it('refuses the request when every event has a problem, with the first one and the list', () => {
    const check = checkTrackRequest({ source, events: [{ type: '' }, { type: 'a', time: 'yesterday' }] });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problem).toMatchObject({ code: 'invalid_payload', path: 'events.0.type' });
    expect(check.rejected.map((r) => r.path)).toEqual(['events.0.type', 'events.1.time']);
  });

  it.each([
    ['a bad profile id', { source, profile: { id: '' }, events: [{ type: 'x'.repeat(200) }] }, 'profile.id'],
    ['a bad source after a bad event', { source: { id: 7 }, events: [{ type: 1 }] }, 'source.id'],
    ['bad options after a bad event', { source, events: [{ type: 1 }, { type: 'a' }], options: { queue: 'yes' } }, 'options.queue'],
    ['a bad request context after a bad event', { source, events: [{ type: 1 }, { type: 'a' }], context: { '': 1 } }, 'context'],
    ['events that are not a list', { source, events: { 0: { type: 'a' } } }, 'events'],
  ])('refuses the whole request for %s, whatever its events', (_, body, path) => {
    const check = checkTrackRequest(body);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.problem.path).toBe(path);
      expect(check.rejected).toEqual([]);
    }
  });

  it("counts the request's context in each event's budget also when events are checked one by one", () => {
    const wide = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const check = checkTrackRequest({ source, context: wide(600), events: [{ type: 'a', context: wide(600) }, { type: 1 }, { type: 'b' }] });
    expect(check.ok && check.rejected.map((r) => r.path)).toEqual(['events.0.context', 'events.1.type']);
  });

  it("accepts Tracardi's event time { create: ISO string } and refuses one it cannot read", () => {
    const check = checkTrackRequest({
      source,
      events: [
        { type: 'a', time: { create: '2026-11-29T16:00:00.000Z' } },
        { type: 'b', time: { create: 'soon' } },
      ],
    });
    expect(check.ok && check.rejected.map((r) => r.path)).toEqual(['events.1.time']);
  });
});
