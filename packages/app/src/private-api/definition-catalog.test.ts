import { describe, expect, it } from 'vitest';
import type { Definition, DefinitionKind, DefinitionStore, PutOutcome } from '@inflow/core';
import { DefinitionCatalog, type StoredDefinition } from './definition-catalog.js';

interface Note extends StoredDefinition {
  text: string;
}

/** A store in memory; `interfere` runs before each put, as another writer would. */
function memoryStore(interfere: (rows: Map<string, Definition>) => void = () => {}): DefinitionStore {
  const rows = new Map<string, Definition>();
  const key = (kind: DefinitionKind, id: string): string => `${kind}/${id}`;
  return {
    list: (kind) => Promise.resolve([...rows].filter(([k]) => k.startsWith(`${kind}/`)).map(([, row]) => row)),
    get: (kind, id) => Promise.resolve(rows.get(key(kind, id)) ?? null),
    put(kind, definition): Promise<PutOutcome> {
      interfere(rows);
      const current = rows.get(key(kind, definition.id));
      if ((current?.version ?? 0) !== definition.version - 1) return Promise.resolve('conflict');
      rows.set(key(kind, definition.id), definition);
      return Promise.resolve('written');
    },
    delete: (kind, id) => Promise.resolve(rows.delete(key(kind, id))),
  };
}

const shape = {
  kind: 'rule' as const,
  created: (spec: { id: string; text: string }, at: string): Note => ({ ...spec, version: 1, createdAt: at, updatedAt: at }),
  replaced: (current: Note, spec: { id: string; text: string }): Note => ({ ...current, ...spec }),
};
const clock = (): (() => Date) => {
  let tick = 0;
  return () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++));
};

describe('DefinitionCatalog (compare-and-set over the definitions store)', () => {
  it('creates at version 1, refuses an existing id, and replaces at the next version keeping the creation time', async () => {
    const catalog = new DefinitionCatalog(memoryStore(), shape, clock());
    const created = await catalog.create({ id: 'a', text: 'one' });
    expect(created).toEqual({ kind: 'written', record: { id: 'a', text: 'one', version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' } });
    expect(await catalog.create({ id: 'a', text: 'again' })).toEqual({ kind: 'exists' });
    const replaced = await catalog.replace('a', { id: 'a', text: 'two' }, 1);
    expect(replaced).toMatchObject({ kind: 'written', record: { text: 'two', version: 2, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:02.000Z' } });
    expect(await catalog.replace('a', { id: 'a', text: 'three' }, 1)).toEqual({ kind: 'stale', expected: 1, current: 2 });
    expect(await catalog.replace('b', { id: 'b', text: 'x' })).toEqual({ kind: 'not-found' });
    expect(await catalog.list()).toHaveLength(1);
  });

  it('retries a lost race without If-Match, answers stale with it, and gives up when it never wins', async () => {
    let writers = 1;
    const store = memoryStore((rows) => {
      if (writers-- <= 0) return;
      const row = rows.get('rule/a') as Note;
      rows.set('rule/a', { ...row, version: row.version + 1 } as Definition);
    });
    const catalog = new DefinitionCatalog(store, shape, clock());
    writers = 0;
    await catalog.create({ id: 'a', text: 'one' });

    writers = 1;
    expect(await catalog.replace('a', { id: 'a', text: 'two' })).toMatchObject({ kind: 'written', record: { version: 3 } });
    writers = 1;
    expect(await catalog.replace('a', { id: 'a', text: 'three' }, 3)).toEqual({ kind: 'stale', expected: 3, current: 4 });
    writers = Infinity;
    expect(await catalog.replace('a', { id: 'a', text: 'four' })).toEqual({ kind: 'busy', attempts: 5 });
  });
});
