import { describe, expect, it } from 'vitest';
import { InfrastructureError, type SourceRecord, type SourceStore } from '@inflow/core';
import { SourceRegistry } from './source-registry.js';

/** Sources in a map, counting the lookups that reach it (the registry's cache is what is tested). */
function countingStore(sources: SourceRecord[]): SourceStore & { lookups: string[] } {
  const byId = new Map(sources.map((source) => [source.id, source]));
  const lookups: string[] = [];
  return {
    lookups,
    listSources: () => Promise.resolve([...byId.values()]),
    getSource: (id) => {
      lookups.push(id);
      return Promise.resolve(byId.get(id) ?? null);
    },
    putSource: (source) => {
      byId.set(source.id, source);
      return Promise.resolve();
    },
  };
}

const WEB: SourceRecord = { id: 'web', name: 'web', enabled: true, allowedOrigins: ['*'], createdAt: '', updatedAt: '' };

describe('SourceRegistry', () => {
  it('caches found and missing sources for its time to live', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 60_000);
    expect(await registry.resolve('web')).toEqual(WEB);
    expect(await registry.resolve('web')).toEqual(WEB);
    expect(await registry.resolve('nope')).toBeNull();
    expect(registry.peek('nope')).toBeNull();
    expect(registry.peek('web')).toEqual(WEB);
    expect(store.lookups).toEqual(['web', 'nope']);
  });

  it('keeps answering what it knew while the store cannot be reached, and rejects what it never knew', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 300);
    expect(await registry.resolve('web')).toEqual(WEB);
    await new Promise((resolve) => setTimeout(resolve, 350)); // the cached answer expires
    let failedLookups = 0;
    store.getSource = () => Promise.reject(new InfrastructureError('store', `connect ECONNREFUSED (${++failedLookups})`));
    expect(await registry.resolve('web')).toEqual(WEB);
    // Kept for another time to live: the next request does not wait on the store again.
    expect(registry.peek('web')).toEqual(WEB);
    expect(failedLookups).toBe(1);
    await expect(registry.resolve('never-seen')).rejects.toBeInstanceOf(InfrastructureError);
  });

  it('shares one store lookup among the requests for one id', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 60_000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => registry.resolve('web')));
    expect(answers).toEqual(Array.from({ length: 10 }, () => WEB));
    expect(store.lookups).toEqual(['web']);
  });

  it('bounds the store lookups of ids it does not know: 32 at once, 1,000 in line, then 503 (InfrastructureError); known sources pass', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 200);
    expect(await registry.resolve('web')).toEqual(WEB);
    await new Promise((resolve) => setTimeout(resolve, 250)); // web's answer expires
    // A store that answers only when told: made-up ids pile up.
    const held: Array<() => void> = [];
    const asked: string[] = [];
    const answer = store.getSource;
    store.getSource = (id) => {
      asked.push(id);
      return new Promise((resolve) => held.push(() => resolve(answer(id))));
    };
    const made = Array.from({ length: 1_032 }, (_, i) => registry.resolve(`made-up-${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked.filter((id) => id.startsWith('made-up-'))).toHaveLength(32);
    // The line is full: one more id is refused at once, as an outage the edge answers with 503.
    await expect(registry.resolve('one-too-many')).rejects.toThrow(/1000 lookups of source ids not known wait in line/);
    // A source it knows is looked up again outside the bound.
    const web = registry.resolve('web');
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked.at(-1)).toBe('web');
    // Each lookup that ends lets the next in line go.
    while (held.length > 0) (held.shift() as () => void)();
    await new Promise((resolve) => setImmediate(resolve));
    while (held.length > 0) {
      (held.shift() as () => void)();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await web).toEqual(WEB);
    expect(await Promise.all(made)).toEqual(Array.from({ length: 1_032 }, () => null));
    expect(asked.filter((id) => id.startsWith('made-up-'))).toHaveLength(1_032);
    // Free again.
    store.getSource = answer;
    expect(await registry.resolve('one-too-many')).toBeNull();
  });

  it('a change saved while a lookup reads the store wins over that lookup, and the saved source is known at once', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 60_000);
    // The first read is slow and returns the source as it was.
    let release: () => void = () => undefined;
    const answer = store.getSource;
    store.getSource = () => {
      store.getSource = answer;
      return new Promise((resolve) => {
        release = () => resolve({ ...WEB });
      });
    };
    const slow = registry.resolve('web');
    await new Promise((resolve) => setImmediate(resolve));
    const disabled = await registry.update('web', { enabled: false });
    expect(disabled?.enabled).toBe(false);
    release();
    await slow;
    expect(registry.peek('web')?.enabled).toBe(false);
    expect((await registry.resolve('web'))?.enabled).toBe(false);
  });

  it('forgets "no such source" answers past 10,000, never a source it found', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 60_000);
    expect(await registry.resolve('web')).toEqual(WEB);
    for (let i = 0; i < 10_001; i++) await registry.resolve(`nope-${i}`);
    expect(registry.peek('web')).toEqual(WEB);
    expect(registry.peek('nope-0')).toBeUndefined();
    expect(registry.peek('nope-10000')).toBeNull();
  });

  it('answers "no such source" to an id longer than any source can have, without asking the store or keeping it', async () => {
    const store = countingStore([WEB]);
    const registry = new SourceRegistry(store, 60_000);
    // A Segment write key is whatever a client sends: 200 keys of 490 kB must not stay in memory.
    for (let i = 0; i < 200; i++) expect(await registry.resolve(`${i}-${'k'.repeat(490_000)}`)).toBeNull();
    expect(await registry.resolve('x'.repeat(129))).toBeNull();
    expect(registry.peek('x'.repeat(129))).toBeUndefined();
    expect(store.lookups).toEqual([]);
    // An id of the longest length a source may have is still looked up.
    expect(await registry.resolve('y'.repeat(128))).toBeNull();
    expect(store.lookups).toEqual(['y'.repeat(128)]);
  });

  it('answers a preflight from the last listing while the store cannot be reached, and says unreachable (never throws) when it never listed', async () => {
    const site: SourceRecord = { ...WEB, id: 'site', allowedOrigins: ['https://shop.example'] };
    const store = countingStore([site]);
    const down = (): Promise<never> => Promise.reject(new InfrastructureError('store', 'connect ECONNREFUSED'));

    const fresh = new SourceRegistry({ ...store, listSources: down }, 300);
    expect(await fresh.originAllowedAnywhere('https://shop.example')).toEqual({ unreachable: 'store unavailable: connect ECONNREFUSED' });

    const registry = new SourceRegistry(store, 300);
    expect(await registry.originAllowedAnywhere('https://shop.example')).toBe(true);
    expect(await registry.originAllowedAnywhere('https://other.example')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 350)); // the listing expires
    store.listSources = down;
    expect(await registry.originAllowedAnywhere('https://shop.example')).toBe(true);
    expect(await registry.originAllowedAnywhere('https://other.example')).toBe(false);
  });
});
