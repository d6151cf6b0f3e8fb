import { errors } from '@elastic/elasticsearch';
import { InfrastructureError } from '@inflow/core';

/** Transport failures, timeouts, 429 and 5xx answers mean Elasticsearch cannot take the work now. */
export function asInfrastructure(error: unknown): unknown {
  const transient =
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError ||
    (error instanceof errors.ResponseError && (error.statusCode === 429 || (error.statusCode ?? 0) >= 500));
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
