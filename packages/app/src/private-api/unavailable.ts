import { errorMessage } from '@inflow/core';
import { errorReply, type HttpReply } from '@inflow/edge';

/** 503 for a read whose service (Redis behind the trace or the stats board) cannot be reached now. */
export function unavailable(what: string, error: unknown): HttpReply {
  return errorReply(503, 'service_unavailable', `${what} cannot be read now (${errorMessage(error)}); retry later`, { headers: { 'retry-after': '5' } });
}
