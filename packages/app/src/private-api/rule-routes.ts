import type { DefinitionStore } from '@inflow/core';
import type { Router } from '@inflow/edge';
import { checkRule, type DefinitionProblem, type RuleRecord, type RuleSpec } from '@inflow/workers';
import { stateRoute, withDefinitionRoutes, type DefinitionResource } from './definition-routes.js';
import { RuleCatalog } from './rule-catalog.js';

/**
 * Rules on the private API: create, list, read, replace (If-Match), delete, enable, disable.
 * A rule that dispatches to a destination that does not exist is saved, with a warning.
 */
export function withRuleRoutes(router: Router, definitions: DefinitionStore): Router {
  const catalog = new RuleCatalog(definitions);
  const resource: DefinitionResource<RuleRecord, RuleSpec> = {
    noun: 'rule',
    plural: 'rules',
    catalog,
    check: checkRule,
    warnings: async () => {
      const destinations = new Set((await definitions.list('destination')).map((destination) => destination.id));
      return (rule) => missingDestinations(rule, destinations);
    },
  };
  return withDefinitionRoutes(router, resource)
    .on('POST', '/rules/:id/enable', stateRoute(resource, (id, ifMatch) => catalog.setEnabled(id, true, ifMatch)))
    .on('POST', '/rules/:id/disable', stateRoute(resource, (id, ifMatch) => catalog.setEnabled(id, false, ifMatch)));
}

/** A warning per `dispatch` action naming a destination that does not exist. */
export function missingDestinations(rule: RuleSpec, destinations: ReadonlySet<string>): DefinitionProblem[] {
  return rule.actions.flatMap((action, index) =>
    action.type === 'dispatch' && !destinations.has(action.destination)
      ? [{ path: `actions.${index}.destination`, message: `destination "${action.destination}" does not exist; nothing is dispatched until it is created` }]
      : [],
  );
}
