import type { DefinitionStore, DestinationRecord, DestinationSpec } from '@inflow/workers';

/** Compare-and-set writes retried this many times when another writer got there first (no If-Match given). */
const WRITE_ATTEMPTS = 5;

/** Why a write did not happen: an expected outcome, answered as 404, 409 or 412. */
export type WriteRefusal =
  | { kind: 'not-found' }
  | { kind: 'exists' }
  | { kind: 'stale'; expected: number; current: number }
  | { kind: 'busy'; attempts: number };

export type WriteOutcome = { kind: 'written'; record: DestinationRecord } | WriteRefusal;

/**
 * Destinations in the definitions store: version on every write (compare-and-set), revision
 * only when what is sent changes. `ifMatch` names the version the caller read: a write on any
 * other version is refused as stale; without it a lost race is read again and retried.
 */
export class DestinationCatalog {
  constructor(
    private readonly definitions: DefinitionStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<DestinationRecord[]> {
    return (await this.definitions.list('destination')) as DestinationRecord[];
  }

  async get(id: string): Promise<DestinationRecord | null> {
    return (await this.definitions.get('destination', id)) as DestinationRecord | null;
  }

  async create(spec: DestinationSpec): Promise<WriteOutcome> {
    const at = this.now().toISOString();
    const record: DestinationRecord = { ...spec, version: 1, revision: 1, paused: false, createdAt: at, updatedAt: at };
    const outcome = await this.definitions.put('destination', record);
    return outcome === 'written' ? { kind: 'written', record } : { kind: 'exists' };
  }

  /** Replaces the spec; `paused` and the creation time are kept. */
  replace(id: string, spec: DestinationSpec, ifMatch?: number): Promise<WriteOutcome> {
    return this.update(id, ifMatch, (current) => ({
      ...spec,
      version: current.version + 1,
      revision: sendsTheSame(current, spec) ? current.revision : current.revision + 1,
      paused: current.paused,
      createdAt: current.createdAt,
      updatedAt: this.now().toISOString(),
    }));
  }

  /** Pauses or resumes; a destination already in that state is answered as it is, unwritten. */
  setPaused(id: string, paused: boolean, ifMatch?: number): Promise<WriteOutcome> {
    return this.update(id, ifMatch, (current) =>
      current.paused === paused ? current : { ...current, paused, version: current.version + 1, updatedAt: this.now().toISOString() },
    );
  }

  delete(id: string): Promise<boolean> {
    return this.definitions.delete('destination', id);
  }

  private async update(id: string, ifMatch: number | undefined, change: (current: DestinationRecord) => DestinationRecord): Promise<WriteOutcome> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (!current) return { kind: 'not-found' };
      if (ifMatch !== undefined && current.version !== ifMatch) return { kind: 'stale', expected: ifMatch, current: current.version };
      const next = change(current);
      if (next === current) return { kind: 'written', record: current };
      if ((await this.definitions.put('destination', next)) === 'written') return { kind: 'written', record: next };
      // Another writer got there first: with If-Match that is the caller's conflict; without, read again.
      if (ifMatch !== undefined) {
        const now = await this.get(id);
        return now ? { kind: 'stale', expected: ifMatch, current: now.version } : { kind: 'not-found' };
      }
    }
    return { kind: 'busy', attempts: WRITE_ATTEMPTS };
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
