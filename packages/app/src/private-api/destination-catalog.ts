import type { DefinitionStore } from '@inflow/core';
import type { DestinationRecord, DestinationSpec } from '@inflow/workers';
import { DefinitionCatalog, type RecordShape, type WriteOutcome } from './definition-catalog.js';

const DESTINATION: RecordShape<DestinationRecord, DestinationSpec> = {
  kind: 'destination',
  created: (spec, at) => ({ ...spec, version: 1, revision: 1, paused: false, createdAt: at, updatedAt: at }),
  // `paused` is kept: it is not part of the spec.
  replaced: (current, spec) => ({
    ...spec,
    version: current.version,
    revision: sendsTheSame(current, spec) ? current.revision : current.revision + 1,
    paused: current.paused,
    createdAt: current.createdAt,
    updatedAt: current.updatedAt,
  }),
};

/**
 * Destinations in the definitions store: version on every write (compare-and-set), revision
 * only when what is sent changes.
 */
export class DestinationCatalog extends DefinitionCatalog<DestinationRecord, DestinationSpec> {
  constructor(definitions: DefinitionStore, now?: () => Date) {
    super(definitions, DESTINATION, now);
  }

  /** Pauses or resumes; a destination already in that state is answered as it is, unwritten. */
  setPaused(id: string, paused: boolean, ifMatch?: number): Promise<WriteOutcome<DestinationRecord>> {
    return this.update(id, ifMatch, (current) => (current.paused === paused ? null : { ...current, paused }));
  }
}

/** Whether two specs send the same requests: webhook, trigger, mapping and delivery (not name, enabled). */
export function sendsTheSame(a: DestinationSpec, b: DestinationSpec): boolean {
  const sent = (spec: DestinationSpec): string =>
    // The mapping's key order is the body's key order, so it counts; elsewhere key order does not.
    JSON.stringify([canonical(spec.webhook), canonical(spec.trigger), canonical(spec.delivery), spec.mapping ?? null]);
  return sent(a) === sent(b);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v)]));
}
