import type { EventRecord, ProfileRecord, RuleMeter, SessionRecord, StageMeter, TraceSink } from '@inflow/core';
import { withoutDedupMemory } from '../collector/shown-session.js';
import type { Subject } from '../conditions/field-path.js';
import { carryOutEffects, type EffectTargets } from './rule-effects.js';
import { ruleEntries } from './rule-entries.js';
import type { CompiledRule } from './rule.js';
import type { RuleDirectory } from './rule-directory.js';
import { runRules, type Effect, type RuleRun } from './rule-runner.js';

export interface RulesInBatchOptions extends EffectTargets {
  rules: RuleDirectory;
  /** Rules considered, matched or not. */
  ruleMeter?: RuleMeter | undefined;
  /** The workflow stage's counters: an event some rule's trigger took is received and done once its profile is stored. */
  meter?: StageMeter | undefined;
  /** Where rules that ran are recorded, with their actions. */
  trace?: TraceSink | undefined;
}

/**
 * Rules run inside the collector's write (the embedded engine): each request's events go
 * through the rules on the profile the request left, and the profile is stored once, with the
 * rules' changes and the mark of each event's run, in the collector's own write. No second
 * queue hop, load or write as with the workflow role; the same runner, so the same results
 * (the mark keeps a redelivered request from running its rules twice).
 */
export class RulesInBatch {
  constructor(private readonly options: RulesInBatchOptions) {}

  /** One round of the collector's group: the rules as enabled now. */
  async round(): Promise<RulesRound> {
    return new RulesRound(await this.options.rules.matcher(), this.options);
  }
}

export class RulesRound {
  private readonly effects: Effect[] = [];
  private readonly runs = new Map<string, RuleRun[]>();
  /** Per profile, its events some rule's trigger took (run now, or run before: the mark says). */
  private readonly taken = new Map<string, number>();
  private readonly requestOf = new Map<string, string>();

  constructor(
    private readonly triggered: (subject: Subject) => CompiledRule[],
    private readonly options: RulesInBatchOptions,
  ) {}

  /** Runs the rules of a request's events, in order, from the profile it left; returns the profile they leave. */
  apply(events: readonly EventRecord[], profile: ProfileRecord, session: SessionRecord, requestId: string): ProfileRecord {
    let shownSession: SessionRecord | undefined;
    for (const event of events) {
      const subject: Subject = { event, profile, session: (shownSession ??= withoutDedupMemory(session)) };
      const rules = this.triggered(subject);
      if (rules.length === 0) continue;
      this.taken.set(profile.id, (this.taken.get(profile.id) ?? 0) + 1);
      const outcome = runRules(subject, profile, rules);
      if (outcome.runs.length === 0) continue;
      profile = outcome.profile;
      for (const effect of outcome.effects) this.effects.push(effect);
      const runs = this.runs.get(profile.id);
      if (runs) for (const run of outcome.runs) runs.push(run);
      else this.runs.set(profile.id, outcome.runs);
      if (this.options.trace) this.requestOf.set(event.id, requestId);
    }
    return profile;
  }

  /** Before the write: the effects of every run so far. */
  carryOut(): Promise<void> {
    return this.effects.length === 0 ? Promise.resolve() : carryOutEffects(this.effects, this.options);
  }

  /** After the write: counts and traces the runs of the profiles that were stored (others run again in the next round). */
  settle(stored: (profileId: string) => boolean): { runs: number; matched: number } {
    const tally = { runs: 0, matched: 0 };
    const { meter } = this.options;
    if (meter) {
      for (const [profileId, events] of this.taken) {
        if (!stored(profileId)) continue;
        meter.received(events);
        meter.settled('done', events);
      }
    }
    for (const [profileId, runs] of this.runs) {
      if (!stored(profileId)) continue;
      let matched = 0;
      for (const run of runs) if (run.matched) matched += 1;
      tally.runs += runs.length;
      tally.matched += matched;
      this.options.ruleMeter?.ran(matched, runs.length - matched);
      if (this.options.trace) for (const entry of ruleEntries(profileId, runs, this.requestOf)) this.options.trace.record(entry);
    }
    return tally;
  }
}
