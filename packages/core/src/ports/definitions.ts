/**
 * Where operators' definitions live: destinations and rules, each a JSON document with an id
 * and a version. Writes are compare-and-set on the version, so two operators (or two API
 * instances) updating one definition at once cannot silently overwrite each other.
 */
export type DefinitionKind = 'destination' | 'rule';

export interface Definition {
  id: string;
  /** 1 for a new definition; each update writes the stored version + 1. */
  version: number;
}

export type PutOutcome = 'written' | 'conflict';

export interface DefinitionStore {
  list(kind: DefinitionKind): Promise<Definition[]>;
  get(kind: DefinitionKind, id: string): Promise<Definition | null>;
  /**
   * Writes `definition` when the stored version is `definition.version - 1` (absent for
   * version 1); answers 'conflict' otherwise and writes nothing.
   */
  put(kind: DefinitionKind, definition: Definition): Promise<PutOutcome>;
  /** false when there was nothing to delete. */
  delete(kind: DefinitionKind, id: string): Promise<boolean>;
}
