import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../core/types.js';
import { localStorageStore } from './local-storage-store.js';

/** A localStorage that refuses to hold more than `quota` characters (no Web Locks: Node has none). */
function fakeStorage(quota = Infinity) {
  const items = new Map<string, string>();
  const storage = {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => {
      if (value.length > quota) throw new Error('QuotaExceededError');
      items.set(key, value);
    },
    removeItem: (key: string) => void items.delete(key),
  };
  // Object.keys(localStorage) lists the stored keys, as in a browser.
  const proxy = new Proxy(storage, { ownKeys: () => [...items.keys()], getOwnPropertyDescriptor: (_, key) => ({ enumerable: items.has(String(key)), configurable: true }) });
  (globalThis as Record<string, unknown>)['window'] = { localStorage: proxy };
  return items;
}

const event = (n: number): QueuedEvent => ({ event: { id: `e-${n}`, type: 't', properties: {}, time: '2026-01-01T00:00:00.000Z' }, profileId: 'p', sessionId: 's', context: {}, bytes: 10, at: n });

describe('localStorageStore', () => {
  let items: Map<string, string>;
  beforeEach(() => {
    items = fakeStorage(600);
  });
  afterEach(() => {
    delete (globalThis as Record<string, unknown>)['window'];
  });

  it('keeps the newest events when storage is full, dropping the oldest half at a time', () => {
    const store = localStorageStore('web');
    store.save([1, 2, 3, 4, 5, 6, 7, 8].map(event));
    const [saved] = [...items.values()];
    expect((JSON.parse(saved ?? '[]') as QueuedEvent[]).map((item) => item.event.id)).toEqual(['e-5', 'e-6', 'e-7', 'e-8']);
  });

  it('adopts the queues other pages left, in the format older trackers stored too, and clears them all on opt-out', async () => {
    items.set('inflow:q:web:gone-page', JSON.stringify([event(1)]));
    items.set('inflow:q:web:older-tracker', JSON.stringify({ t: 0, e: [event(2)] }));
    items.set('inflow:q:other-source:x', JSON.stringify([event(3)]));
    const store = localStorageStore('web');
    store.save([event(4)]);
    const adopted = await store.adopt?.();
    expect(adopted?.map((item) => item.event.id).sort()).toEqual(['e-1', 'e-2']);
    expect([...items.keys()].filter((key) => key.startsWith('inflow:q:web:'))).toHaveLength(1);
    store.clear();
    expect([...items.keys()]).toEqual(['inflow:q:other-source:x']);
  });
});
