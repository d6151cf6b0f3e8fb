import { describe, expect, it } from 'vitest';
import { createLogger, type Definition, type DefinitionStore, InfrastructureError } from '@inflow/core';
import { DefinitionDirectory } from './definition-directory.js';

/** Definitions held in a list; `down` makes every read fail as a store out of reach does. */
function definitionsPort(definitions: Definition[]): DefinitionStore & { down: boolean; reads: number } {
  const port = {
    down: false,
    reads: 0,
    list: async () => {
      port.reads += 1;
      if (port.down) throw new InfrastructureError('store', 'connect ECONNREFUSED');
      return definitions;
    },
    get: async () => null,
    put: async () => 'written' as const,
    delete: async () => false,
  };
  return port;
}

const logger = createLogger({ level: 'error', format: 'text' });

describe('DefinitionDirectory', () => {
  it('fails (an outage, asked again at the next call) while it has never listed, then keeps its last listing through an outage', async () => {
    const store = definitionsPort([{ id: 'hook', version: 1 }]);
    const directory = new DefinitionDirectory({ definitions: store, kind: 'destination', compile: (definition) => definition.id, refreshMs: 60_000, logger });
    store.down = true;
    // No listing yet: an empty one would have events stored as if nothing listened to them.
    await expect(directory.all()).rejects.toBeInstanceOf(InfrastructureError);
    await expect(directory.all()).rejects.toBeInstanceOf(InfrastructureError);
    expect(store.reads).toBe(2);
    store.down = false;
    expect(await directory.all()).toEqual(['hook']);
    store.down = true;
    directory.invalidate();
    expect(await directory.all()).toEqual(['hook']);
    // The failed read counts as a read: the store is not asked again until refreshMs.
    expect(await directory.all()).toEqual(['hook']);
    expect(store.reads).toBe(4);
  });

  it('turns a first read the store refused for another reason into an outage too (never a dead letter or a 500)', async () => {
    const store = definitionsPort([]);
    store.list = async () => {
      throw new Error('security_exception: unable to authenticate');
    };
    const directory = new DefinitionDirectory({ definitions: store, kind: 'rule', compile: (definition) => definition.id, refreshMs: 60_000, logger });
    const failure = await directory.all().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(String(failure)).toMatch(/rules could not be read: security_exception/);
  });
});
