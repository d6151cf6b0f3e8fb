import { describe, expect, it } from 'vitest';
import { checkTrackPayload } from './track-schema.js';

const valid = {
  source: { id: 'web' },
  profile: { id: 'p-1' },
  session: { id: 's-1' },
  events: [
    { id: 'e-1', type: 'page-view', properties: { path: '/' }, time: '2026-11-23T10:00:00Z', context: { a: 1 }, options: { async: true } },
  ],
  context: { page: { url: 'https://shop.test/' } },
  properties: {},
  options: { queue: true },
};

describe('checkTrackPayload', () => {
  it('accepts the Tracardi tracker payload', () => {
    const check = checkTrackPayload(valid);
    expect(check.ok).toBe(true);
  });

  it('accepts a payload with only a source and events, null profile and session, epoch time', () => {
    const check = checkTrackPayload({ source: { id: 'web' }, profile: null, session: null, events: [{ type: 'x', time: 1763892000000 }] });
    expect(check.ok).toBe(true);
  });

  it('tolerates unknown keys so newer trackers keep working', () => {
    expect(checkTrackPayload({ ...valid, device: { os: 'linux' } }).ok).toBe(true);
  });

  it.each([
    [{ events: [] }, 'source', 'is required (expected an object)'],
    [{ source: { id: '' }, events: [] }, 'source.id', 'non-empty string'],
    [{ source: { id: 'x'.repeat(129) }, events: [] }, 'source.id', 'at most 128'],
    [{ source: { id: 'web' } }, 'events', 'is required (expected an array)'],
    [{ source: { id: 'web' }, events: {} }, 'events', 'array'],
    [{ source: { id: 'web' }, events: [{ type: 'ok' }, { properties: {} }] }, 'events.1.type', 'is required (expected a string)'],
    [{ source: { id: 'web' }, events: [{ type: 5 }] }, 'events.0.type', 'string'],
    [{ source: { id: 'web' }, events: [{ type: 'a', properties: [1] }] }, 'events.0.properties', 'object'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: 'yesterday' }] }, 'events.0.time', 'ISO-8601'],
    // Date.parse reads these as 2000-01-01 and 2001-01-01.
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '0' }] }, 'events.0.time', 'ISO-8601'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '1' }] }, 'events.0.time', 'ISO-8601'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '1 GMT+0100' }] }, 'events.0.time', 'ISO-8601'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '0 UTC+0000' }] }, 'events.0.time', 'ISO-8601'],
    // Date.parse reads these as 2024-03-02, 2023-03-01 and 2024-01-01.
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '2024-02-31' }] }, 'events.0.time', 'ISO-8601'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '2023-02-29T00:00:00Z' }] }, 'events.0.time', 'ISO-8601'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: 'hello 2024' }] }, 'events.0.time', 'ISO-8601'],
    [{ source: { id: 'web' }, events: [], options: { queue: 'yes' } }, 'options.queue', 'boolean'],
    [{ source: { id: 'web' }, events: [], profile: { id: 7 } }, 'profile.id', 'string'],
    [{ source: { id: 'web\ud800' }, events: [] }, 'source.id', 'unpaired UTF-16 surrogates'],
    [{ source: { id: 'web' }, events: [], session: { id: '\udc00\ud800' } }, 'session.id', 'unpaired'],
    [{ source: { id: 'web' }, events: [{ id: 'a\u0000b', type: 'x' }] }, 'events.0.id', 'control characters'],
    [{ source: { id: 'web' }, events: [{ type: 'page\nview' }] }, 'events.0.type', 'control characters'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: 8.64e15 }] }, 'events.0.time', 'years 0000 to 9999'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '+010000-01-01T00:00:00Z' }] }, 'events.0.time', 'years 0000 to 9999'],
    [{ source: { id: 'web' }, events: [{ type: 'a', time: '-000001-01-01T00:00:00Z' }] }, 'events.0.time', 'years 0000 to 9999'],
  ])('rejects %j at %s', (payload, path, message) => {
    const check = checkTrackPayload(payload);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.path).toBe(path);
    expect(check.message).toContain(message);
  });

  it('accepts ids and types in any script, emoji included, and times from year 0000 to 9999', () => {
    const events = [
      { id: '😀'.repeat(64), type: 'покупка', time: '0000-01-01T00:00:00.000Z' },
      { id: '€'.repeat(128), type: '購入 ✓', time: '9999-12-31T23:59:59.999Z' },
      { type: 'a', time: -62_167_219_200_000 },
    ];
    expect(checkTrackPayload({ source: { id: 'ウェブ' }, events }).ok).toBe(true);
  });

  it('names the root when the payload is not an object', () => {
    const check = checkTrackPayload([1, 2]);
    expect(check).toMatchObject({ ok: false, path: '(root)' });
  });
});
