import { errors } from '@elastic/elasticsearch';
import { InfrastructureError } from '@inflow/core';
import { indexUnavailable } from './bulk-results.js';

/**
 * Transport failures, timeouts, 429 and 5xx answers, and an index that cannot be written now
 * (a write block, a closed index) mean Elasticsearch cannot take the work now.
 */
export function asInfrastructure(error: unknown): unknown {
  const transient =
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError ||
    (error instanceof errors.ResponseError && (error.statusCode === 429 || (error.statusCode ?? 0) >= 500 || blocked(error)));
  return transient ? new InfrastructureError('store', (error as Error).message, { cause: error }) : error;
}

/** Runs `call`; a transient failure comes out as InfrastructureError (retried, never dead-lettered). */
export async function infrastructure<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asInfrastructure(error);
  }
}

/** A refusal naming a write block or a closed index (not a missing one: reads and lookups of absent indices answer 404 on purpose). */
function blocked(error: InstanceType<typeof errors.ResponseError>): boolean {
  const body: unknown = error.body;
  const type = typeof body === 'object' && body !== null ? (body as { error?: { type?: unknown } }).error?.type : undefined;
  return typeof type === 'string' && type !== 'index_not_found_exception' && indexUnavailable(type);
}
