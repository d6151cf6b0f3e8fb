import { errorMessage, isInfrastructureError, isQueueUnavailable } from '@inflow/core';
import { errorReply, type HttpReply, type HttpRequest } from '@inflow/edge';

/** 503 for a read whose service (Redis behind the trace or the stats board) cannot be reached now. */
export function unavailable(what: string, error: unknown): HttpReply {
  return errorReply(503, 'service_unavailable', `${what} cannot be read now (${errorMessage(error)}); retry later`, { headers: { 'retry-after': '5' } });
}

/**
 * A service behind a route that cannot be reached now (the queue's admin port, the store, the
 * cache) answers 503 with Retry-After, naming it, instead of the 500 of a failing handler.
 */
export function outagesAs503(handler: (request: HttpRequest) => Promise<HttpReply>): (request: HttpRequest) => Promise<HttpReply> {
  return (request) =>
    handler(request).catch((error: unknown) => {
      if (isQueueUnavailable(error)) return errorReply(503, 'queue_unavailable', `the queue cannot answer now (${error.message}); retry later`, { headers: { 'retry-after': String(error.retryAfterSeconds) } });
      if (isInfrastructureError(error)) {
        return errorReply(503, 'service_unavailable', `the ${error.service} cannot be reached now (${errorMessage(error)}); retry later`, { headers: { 'retry-after': '5' } });
      }
      throw error;
    });
}
