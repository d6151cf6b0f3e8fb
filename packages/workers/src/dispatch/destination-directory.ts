import { evaluateCondition } from '../conditions/condition.js';
import type { Subject } from '../conditions/field-path.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { DefinitionStore } from '../ports/definitions.js';
import { compileTrigger, type DestinationRecord, type DestinationTrigger } from './destination.js';
import { compileMapping, DEFAULT_MAPPING, isMappingProblem, renderMapping } from './mapping.js';

/** A destination ready to use: its record, with the trigger and mapping compiled once per write. */
export interface ActiveDestination {
  record: DestinationRecord;
  trigger: DestinationTrigger;
  render(subject: Subject): unknown;
}

export interface DestinationDirectoryOptions {
  definitions: DefinitionStore;
  /** How long a listing is used before it is read again: how soon a change reaches the workers. */
  refreshMs: number;
  logger: Logger;
}

/**
 * The destinations as every collector and dispatcher sees them: read from the definitions
 * store, compiled, and refreshed every `refreshMs`. When the store cannot be read the last
 * listing is kept (and the failure logged), so a store outage does not switch dispatch off.
 */
export class DestinationDirectory {
  private listing: ActiveDestination[] = [];
  private readAt = -Infinity;
  private reading: Promise<ActiveDestination[]> | null = null;
  private readonly compiled = new Map<string, ActiveDestination>();

  constructor(private readonly options: DestinationDirectoryOptions) {}

  /** Every destination, enabled or not. */
  async all(): Promise<ActiveDestination[]> {
    if (performance.now() - this.readAt < this.options.refreshMs) return this.listing;
    this.reading ??= this.read().finally(() => (this.reading = null));
    return this.reading;
  }

  /** Enabled destinations whose trigger the subject meets (paused ones too: their events wait). */
  async matching(subject: Subject): Promise<ActiveDestination[]> {
    return (await this.all()).filter((destination) => destination.record.enabled && triggers(destination.trigger, subject));
  }

  /** Reads now at the next call (after a change made by this process). */
  invalidate(): void {
    this.readAt = -Infinity;
  }

  private async read(): Promise<ActiveDestination[]> {
    try {
      const records = (await this.options.definitions.list('destination')) as DestinationRecord[];
      this.listing = records.flatMap((record) => {
        const active = this.compile(record);
        return active ? [active] : [];
      });
    } catch (error) {
      this.options.logger.warn(`destinations could not be read, using the last listing (${this.listing.length}): ${errorMessage(error)}`);
    }
    this.readAt = performance.now();
    return this.listing;
  }

  private compile(record: DestinationRecord): ActiveDestination | null {
    const key = `${record.id}@${record.version}`;
    const known = this.compiled.get(key);
    if (known) return known;
    try {
      const mapping = compileMapping(record.mapping ?? DEFAULT_MAPPING);
      if (isMappingProblem(mapping)) throw new Error(`mapping ${mapping.path}: ${mapping.message}`);
      const active: ActiveDestination = { record, trigger: compileTrigger(record), render: (subject) => renderMapping(mapping, subject) };
      for (const old of this.compiled.keys()) if (old.startsWith(`${record.id}@`)) this.compiled.delete(old);
      this.compiled.set(key, active);
      return active;
    } catch (error) {
      this.options.logger.error(`destination ${record.id} v${record.version} is skipped: ${errorMessage(error)}`);
      return null;
    }
  }
}

function triggers(trigger: DestinationTrigger, subject: Subject): boolean {
  if (trigger.eventTypes.size > 0 && !trigger.eventTypes.has(subject.event.type)) return false;
  if (trigger.sources.size > 0 && !trigger.sources.has(subject.event.sourceId)) return false;
  return trigger.condition ? evaluateCondition(trigger.condition, subject) : true;
}
