import type { Definition, DefinitionKind, DefinitionStore } from '@inflow/core';

/** Compare-and-set writes retried this many times when another writer got there first (no If-Match given). */
const WRITE_ATTEMPTS = 5;

/** A definition as the catalog keeps it: the store's id and version, and when it was written. */
export interface StoredDefinition extends Definition {
  createdAt: string;
  updatedAt: string;
}

/** Why a write did not happen: an expected outcome, answered as 404, 409 or 412. */
export type WriteRefusal =
  | { kind: 'not-found' }
  | { kind: 'exists' }
  | { kind: 'stale'; expected: number; current: number }
  | { kind: 'busy'; attempts: number };

export type WriteOutcome<R> = { kind: 'written'; record: R } | WriteRefusal;

/** How one kind of definition turns a spec into its stored record. */
export interface RecordShape<R extends StoredDefinition, S> {
  kind: DefinitionKind;
  /** The record of a new definition (version 1). */
  created(spec: S, at: string): R;
  /** The record replacing `current` (its version, createdAt and updatedAt are set by the catalog). */
  replaced(current: R, spec: S): R;
}

/**
 * Definitions of one kind in the definitions store, written by compare-and-set on their version.
 * `ifMatch` names the version the caller read: a write on any other version is refused as stale;
 * without it a lost race is read again and retried.
 */
export class DefinitionCatalog<R extends StoredDefinition, S> {
  constructor(
    private readonly definitions: DefinitionStore,
    private readonly shape: RecordShape<R, S>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<R[]> {
    return (await this.definitions.list(this.shape.kind)) as R[];
  }

  async get(id: string): Promise<R | null> {
    return (await this.definitions.get(this.shape.kind, id)) as R | null;
  }

  async create(spec: S): Promise<WriteOutcome<R>> {
    const record = this.shape.created(spec, this.now().toISOString());
    const outcome = await this.definitions.put(this.shape.kind, record);
    return outcome === 'written' ? { kind: 'written', record } : { kind: 'exists' };
  }

  /** Replaces the spec; what the shape keeps of the current record and the creation time stay. */
  replace(id: string, spec: S, ifMatch?: number): Promise<WriteOutcome<R>> {
    return this.update(id, ifMatch, (current) => this.shape.replaced(current, spec));
  }

  delete(id: string): Promise<boolean> {
    return this.definitions.delete(this.shape.kind, id);
  }

  /**
   * Writes `change(current)` as the next version; `null` leaves the definition as it is
   * (answered unwritten, e.g. pausing what is paused).
   */
  protected async update(id: string, ifMatch: number | undefined, change: (current: R) => R | null): Promise<WriteOutcome<R>> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (!current) return { kind: 'not-found' };
      if (ifMatch !== undefined && current.version !== ifMatch) return { kind: 'stale', expected: ifMatch, current: current.version };
      const changed = change(current);
      if (changed === null) return { kind: 'written', record: current };
      const next: R = { ...changed, version: current.version + 1, createdAt: current.createdAt, updatedAt: this.now().toISOString() };
      if ((await this.definitions.put(this.shape.kind, next)) === 'written') return { kind: 'written', record: next };
      // Another writer got there first: with If-Match that is the caller's conflict; without, read again.
      if (ifMatch !== undefined) {
        const now = await this.get(id);
        return now ? { kind: 'stale', expected: ifMatch, current: now.version } : { kind: 'not-found' };
      }
    }
    return { kind: 'busy', attempts: WRITE_ATTEMPTS };
  }
}
