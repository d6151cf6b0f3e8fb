import { evaluateCondition } from '../conditions/condition.js';
import type { Subject } from '../conditions/field-path.js';
import { DefinitionDirectory } from '../definitions/definition-directory.js';
import type { DefinitionStore, Logger } from '@inflow/core';
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
  refreshMs: number;
  logger: Logger;
}

/** The destinations every collector and dispatcher sees (see DefinitionDirectory), and which of them an event triggers. */
export class DestinationDirectory {
  private readonly directory: DefinitionDirectory<ActiveDestination>;

  constructor(options: DestinationDirectoryOptions) {
    this.directory = new DefinitionDirectory({ ...options, kind: 'destination', compile: (definition) => activate(definition as DestinationRecord) });
  }

  /** Every destination, enabled or not. */
  all(): Promise<ActiveDestination[]> {
    return this.directory.all();
  }

  /** Enabled destinations (paused ones too: their events wait), and which of them a subject's event triggers. */
  async matcher(): Promise<(subject: Subject) => ActiveDestination[]> {
    const enabled = (await this.all()).filter((destination) => destination.record.enabled);
    return (subject) => (enabled.length === 0 ? enabled : enabled.filter((destination) => triggers(destination.trigger, subject)));
  }

  /** Whether any destination is enabled (paused ones too). */
  async anyEnabled(): Promise<boolean> {
    return (await this.all()).some((destination) => destination.record.enabled);
  }

  invalidate(): void {
    this.directory.invalidate();
  }
}

function activate(record: DestinationRecord): ActiveDestination {
  const mapping = compileMapping(record.mapping ?? DEFAULT_MAPPING);
  if (isMappingProblem(mapping)) throw new Error(`mapping ${mapping.path}: ${mapping.message}`);
  return { record, trigger: compileTrigger(record), render: (subject) => renderMapping(mapping, subject) };
}

function triggers(trigger: DestinationTrigger, subject: Subject): boolean {
  if (trigger.eventTypes.size > 0 && !trigger.eventTypes.has(subject.event.type)) return false;
  if (trigger.sources.size > 0 && !trigger.sources.has(subject.event.sourceId)) return false;
  return trigger.condition ? evaluateCondition(trigger.condition, subject) : true;
}
