import type { Subject } from '../conditions/field-path.js';
import { DefinitionDirectory } from '../definitions/definition-directory.js';
import type { DefinitionStore, Logger } from '@inflow/core';
import { compileRule, type CompiledRule, type RuleRecord } from './rule.js';

/** How many emitted events led to this one (0: a client sent it); kept in the event's context. */
export function emitDepth(subject: Subject): number {
  const workflow = subject.event.context['workflow'];
  const depth = typeof workflow === 'object' && workflow !== null ? (workflow as { depth?: unknown }).depth : undefined;
  return typeof depth === 'number' && Number.isInteger(depth) && depth > 0 ? depth : 0;
}

/** The rules every collector and workflow worker sees (see DefinitionDirectory). */
export class RuleDirectory {
  private readonly directory: DefinitionDirectory<CompiledRule>;

  constructor(options: { definitions: DefinitionStore; refreshMs: number; logger: Logger }) {
    this.directory = new DefinitionDirectory({ ...options, kind: 'rule', compile: (definition) => compileRule(definition as RuleRecord) });
  }

  /** The rule with this id as it is now; undefined when deleted or disabled. */
  async enabled(id: string): Promise<CompiledRule | undefined> {
    return (await this.directory.all()).find((rule) => rule.record.id === id && rule.record.enabled);
  }

  /** Whether any rule is enabled. */
  async anyEnabled(): Promise<boolean> {
    return (await this.directory.all()).some((rule) => rule.record.enabled);
  }

  /** Enabled rules whose trigger takes the event (type, source, depth); their conditions are checked when they run. */
  async triggered(subject: Subject): Promise<CompiledRule[]> {
    return (await this.matcher())(subject);
  }

  /** The same for many events: the listing read once. */
  async matcher(): Promise<(subject: Subject) => CompiledRule[]> {
    const enabled = (await this.directory.all()).filter((rule) => rule.record.enabled);
    return (subject) => {
      if (enabled.length === 0) return enabled;
      const depth = emitDepth(subject);
      return enabled.filter(
        (rule) =>
          depth <= rule.maxDepth &&
          (rule.eventTypes.size === 0 || rule.eventTypes.has(subject.event.type)) &&
          (rule.sources.size === 0 || rule.sources.has(subject.event.sourceId)),
      );
    };
  }
}
