import type { DefinitionProblem, RuleRecord } from '@inflow/workers';
import { definitionsCommand, type DefinitionsCli } from './definitions-command.js';
import { clip } from './table.js';

export const RULES_USAGE = `  rules list [--json]
               every rule: state, events, actions and warnings
  rules show ID
               one rule as JSON (save it, edit it, give it to update)
  rules create --file FILE.json [--json]
  rules update ID --file FILE.json [--json] [--force]
               replace the definition; a "version" in the file is sent as If-Match (--force: not)
  rules delete ID
  rules enable ID | disable ID [--json]`;

type View = RuleRecord & { warnings: DefinitionProblem[] };

const stateOf = (rule: View): string => (rule.enabled ? 'enabled' : 'disabled');

const RULES: DefinitionsCli<View> = {
  noun: 'rule',
  plural: 'rules',
  usage: RULES_USAGE,
  systemFields: ['version', 'createdAt', 'updatedAt', 'warnings'],
  states: ['enable', 'disable'],
  describe: (rule) => `${stateOf(rule)}, version ${rule.version}`,
  table: (rules) => ({
    header: ['ID', 'STATE', 'EVENTS', 'ACTIONS', 'VER', 'WARNINGS'],
    rows: rules.map((rule) => [
      rule.id,
      stateOf(rule),
      clip(rule.trigger.eventTypes.join(',') || '*', 32),
      clip(rule.actions.map((action) => action.type).join(','), 48),
      String(rule.version),
      rule.warnings.length === 0 ? '-' : clip(rule.warnings.map((w) => w.message).join('; '), 60),
    ]),
  }),
};

/** `inflow rules ...` against the private API; resolves with the exit code. */
export const rulesCommand = definitionsCommand(RULES);
