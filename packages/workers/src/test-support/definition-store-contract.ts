import { expect, it } from 'vitest';
import type { Definition, DefinitionStore } from '@inflow/core';

/** What every DefinitionStore adapter must do; each adapter's test file runs it on its own store. */
export function definitionStoreContract(store: () => DefinitionStore): void {
  const hook = (version: number, url: string): Definition & { url: string } => ({ id: 'crm', version, url });

  it('creates, lists, updates with compare-and-set, and deletes', async () => {
    const defs = store();
    expect(await defs.put('destination', hook(1, 'https://a.example'))).toBe('written');
    expect(await defs.put('destination', hook(1, 'https://b.example'))).toBe('conflict');
    expect(await defs.put('rule', { id: 'crm', version: 1 })).toBe('written');
    expect(await defs.list('destination')).toEqual([hook(1, 'https://a.example')]);

    expect(await defs.put('destination', hook(3, 'https://skipped.example'))).toBe('conflict');
    expect(await defs.put('destination', hook(2, 'https://c.example'))).toBe('written');
    expect(await defs.put('destination', hook(2, 'https://lost-update.example'))).toBe('conflict');
    expect(await defs.get('destination', 'crm')).toEqual(hook(2, 'https://c.example'));
    expect(await defs.get('rule', 'crm')).toEqual({ id: 'crm', version: 1 });

    expect(await defs.delete('destination', 'crm')).toBe(true);
    expect(await defs.delete('destination', 'crm')).toBe(false);
    expect(await defs.get('destination', 'crm')).toBeNull();
    expect(await defs.list('destination')).toEqual([]);
    // A deleted id can be created again, from version 1.
    expect(await defs.put('destination', hook(1, 'https://d.example'))).toBe('written');
    expect(await defs.get('rule', 'crm')).toEqual({ id: 'crm', version: 1 });
  });

  it('lets exactly one of many racing updates of one version win', async () => {
    const defs = store();
    expect(await defs.put('rule', { id: 'race', version: 1 })).toBe('written');
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => defs.put('rule', { id: 'race', version: 2, writer: i } as Definition)));
    expect(outcomes.filter((outcome) => outcome === 'written')).toHaveLength(1);
  });
}
