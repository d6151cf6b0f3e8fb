import type { DefinitionStore } from '@inflow/core';
import type { RuleRecord, RuleSpec } from '@inflow/workers';
import { DefinitionCatalog, type RecordShape, type WriteOutcome } from './definition-catalog.js';

const RULE: RecordShape<RuleRecord, RuleSpec> = {
  kind: 'rule',
  created: (spec, at) => ({ ...spec, version: 1, createdAt: at, updatedAt: at }),
  // A full replace: `enabled` too is the body's (true when left out).
  replaced: (current, spec) => ({ ...spec, version: current.version, createdAt: current.createdAt, updatedAt: current.updatedAt }),
};

/** Rules in the definitions store: version on every write (compare-and-set). */
export class RuleCatalog extends DefinitionCatalog<RuleRecord, RuleSpec> {
  constructor(definitions: DefinitionStore, now?: () => Date) {
    super(definitions, RULE, now);
  }

  /** Enables or disables; a rule already in that state is answered as it is, unwritten. */
  setEnabled(id: string, enabled: boolean, ifMatch?: number): Promise<WriteOutcome<RuleRecord>> {
    return this.update(id, ifMatch, (current) => (current.enabled === enabled ? null : { ...current, enabled }));
  }
}
