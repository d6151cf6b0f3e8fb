import type { ScheduleStore } from '@inflow/core';
import { errorReply, json, type Router } from '@inflow/edge';
import { limitOf } from './request-input.js';

interface DelayedRunView {
  rule?: string;
  delayAt?: number;
  subject?: { event?: { id?: string; type?: string } };
}

/**
 * Delayed rule runs waiting in the schedule: `GET /schedules` (soonest first; `?profile=` for
 * one profile's) and `DELETE /schedules/{id}`, which cancels one (it will not run, now or later).
 */
export function withScheduleRoutes(router: Router, schedule: ScheduleStore): Router {
  return router
    .on('GET', '/schedules', async (request) => {
      const profile = new URLSearchParams(request.query).get('profile') ?? undefined;
      const items = await schedule.list(limitOf(request), profile);
      return json(200, {
        schedules: items.map((item) => {
          const run = item.data as DelayedRunView;
          return {
            id: item.id,
            dueAt: new Date(item.dueAt).toISOString(),
            profileId: item.profileId,
            rule: run.rule,
            event: { id: run.subject?.event?.id, type: run.subject?.event?.type },
            resumesAfterAction: run.delayAt,
            leasedUntil: item.leasedUntil === null ? null : new Date(item.leasedUntil).toISOString(),
          };
        }),
      });
    })
    .on('DELETE', '/schedules/:id', async (_, { id = '' }) =>
      (await schedule.complete(id)) ? { status: 204, headers: {}, body: '' } : errorReply(404, 'not_found', `no delayed run "${id}" is waiting`),
    );
}
