import type { DefinitionStore } from '@inflow/core';
import type { Router } from '@inflow/edge';
import { checkDestination, type DefinitionProblem, type DestinationRecord, type DestinationSpec, missingSecrets, secretEnvName, type Secrets, sendWebhook, type SendWebhook } from '@inflow/workers';
import { DestinationCatalog } from './destination-catalog.js';
import { testDestination } from './destination-test-route.js';
import { stateRoute, withDefinitionRoutes, type DefinitionResource, type DefinitionView } from './definition-routes.js';

export interface DestinationRoutesDeps {
  definitions: DefinitionStore;
  /** Secret values by key (config); only the test call reads them, and no answer shows one. */
  secrets: Secrets;
  /** The HTTP port of the test call; the fetch adapter unless a test gives another. */
  send?: SendWebhook;
}

/** A destination as the API shows it: the record, and what keeps it from sending (secrets not configured). */
export type DestinationView = DefinitionView<DestinationRecord>;

/**
 * Destinations on the private API: create, list, read, replace (If-Match), delete, pause,
 * resume, and a test call that sends one rendered sample.
 */
export function withDestinationRoutes(router: Router, deps: DestinationRoutesDeps): Router {
  const catalog = new DestinationCatalog(deps.definitions);
  const resource: DefinitionResource<DestinationRecord, DestinationSpec> = {
    noun: 'destination',
    plural: 'destinations',
    catalog,
    check: checkDestination,
    warnings: () => (record) => warningsOf(record, deps.secrets),
  };
  return withDefinitionRoutes(router, resource)
    .on('POST', '/destinations/:id/pause', stateRoute(resource, (id, ifMatch) => catalog.setPaused(id, true, ifMatch)))
    .on('POST', '/destinations/:id/resume', stateRoute(resource, (id, ifMatch) => catalog.setPaused(id, false, ifMatch)))
    .on('POST', '/destinations/:id/test', testDestination(catalog, deps.secrets, deps.send ?? sendWebhook));
}

function warningsOf(spec: DestinationSpec, secrets: Secrets): DefinitionProblem[] {
  return missingSecrets(spec, secrets).map(({ header, secret }) => ({
    path: `webhook.secretHeaders.${header}`,
    message: `secret "${secret}" is not configured (set ${secretEnvName(secret)} where inflow runs); nothing is sent until it is`,
  }));
}
