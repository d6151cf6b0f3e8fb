import { type Definition, type DefinitionKind, type DefinitionStore, errorMessage, InfrastructureError, isInfrastructureError, type Logger } from '@inflow/core';

export interface DefinitionDirectoryOptions<T> {
  definitions: DefinitionStore;
  kind: DefinitionKind;
  /** Makes a stored definition ready to use; throws when it cannot be (it is then skipped, and logged). */
  compile(definition: Definition): T;
  /** How long a listing is used before it is read again: how soon a change reaches the workers. */
  refreshMs: number;
  logger: Logger;
}

/**
 * The destinations or rules as every worker sees them: read from the definitions store,
 * compiled once per version, and read again every `refreshMs`. When the store cannot be read
 * the last listing is kept (and the failure logged), so a store outage switches nothing off.
 * Before the first listing there is none to keep: the failure is the caller's (an outage, tried
 * again at the next call), so that no event is taken as having no destination or rule because
 * the store was away when they were first asked for.
 */
export class DefinitionDirectory<T> {
  private listing: T[] = [];
  /** Set once a listing was read: from then on a failed read keeps it. */
  private listed = false;
  private readAt = -Infinity;
  private reading: Promise<T[]> | null = null;
  private readonly compiled = new Map<string, { version: number; value: T }>();

  constructor(private readonly options: DefinitionDirectoryOptions<T>) {}

  async all(): Promise<T[]> {
    if (performance.now() - this.readAt < this.options.refreshMs) return this.listing;
    this.reading ??= this.read().finally(() => (this.reading = null));
    return this.reading;
  }

  /** Reads again at the next call. */
  invalidate(): void {
    this.readAt = -Infinity;
  }

  private async read(): Promise<T[]> {
    try {
      const definitions = await this.options.definitions.list(this.options.kind);
      const ids = new Set(definitions.map((definition) => definition.id));
      for (const id of this.compiled.keys()) if (!ids.has(id)) this.compiled.delete(id);
      this.listing = definitions.flatMap((definition) => {
        const value = this.compile(definition);
        return value === null ? [] : [value];
      });
      this.listed = true;
    } catch (error) {
      // Whatever the store said, an outage for the caller: retried, never a dead letter or a 500.
      if (!this.listed) throw isInfrastructureError(error) ? error : new InfrastructureError('store', `${this.options.kind}s could not be read: ${errorMessage(error)}`, { cause: error });
      this.options.logger.warn(`${this.options.kind}s could not be read, using the last listing (${this.listing.length}): ${errorMessage(error)}`);
    }
    this.readAt = performance.now();
    return this.listing;
  }

  private compile(definition: Definition): T | null {
    const known = this.compiled.get(definition.id);
    if (known?.version === definition.version) return known.value;
    try {
      const value = this.options.compile(definition);
      this.compiled.set(definition.id, { version: definition.version, value });
      return value;
    } catch (error) {
      this.options.logger.error(`${this.options.kind} ${definition.id} v${definition.version} is skipped: ${errorMessage(error)}`);
      return null;
    }
  }
}
