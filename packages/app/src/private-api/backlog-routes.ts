import { errorMessage, type Queue } from '@inflow/core';
import { errorReply, json, type Router } from '@inflow/edge';

/**
 * GET /backlog: every topic the queue knows (collector, workflow, each destination's) as
 * GET /queue/{namespace}/{topic}/backlog answers one (`total`, `backlog` per partition and
 * subscription), with its `topic` (`namespace/name`) and its kept `deadLetters`.
 */
export function withBacklogRoutes(router: Router, queue: Queue): Router {
  return router.on('GET', '/backlog', async () => {
    try {
      return json(200, { topics: await queue.backlogs() });
    } catch (error) {
      return errorReply(503, 'queue_unavailable', `the queue did not list its topics: ${errorMessage(error)}`, { headers: { 'retry-after': '5' } });
    }
  });
}
