import { encodeEnvelope, type Envelope, errorMessage, InfrastructureError, type QueueProducer, type ScheduleStore } from '@inflow/core';
import type { DispatchFeed } from '../dispatch/dispatch-feed.js';
import type { Effect } from './rule-runner.js';

/** Where rule effects go: emitted events to the collector, deliveries to their destination, delayed runs to the schedule. */
export interface EffectTargets {
  dispatch: DispatchFeed;
  emit: QueueProducer;
  schedule: ScheduleStore;
}

/**
 * Carries out the effects of rule runs, before the profile that marks the runs is stored: a
 * retry after a failure does them again, and each is idempotent by its id (an emitted event's,
 * a delivery's Idempotency-Key, a delayed run's).
 */
export async function carryOutEffects(effects: readonly Effect[], targets: EffectTargets): Promise<void> {
  const emits = effects.flatMap((effect) => (effect.kind === 'emit' ? [effect] : []));
  if (emits.length > 0) {
    try {
      await targets.emit.send(emits.map((effect) => ({ key: effect.cause.profile.id, data: encodeEnvelope(emittedRequest(effect)) })));
    } catch (error) {
      throw new InfrastructureError('queue', `emitting ${emits.length} events: ${errorMessage(error)}`, { cause: error });
    }
  }
  for (const effect of effects) if (effect.kind === 'dispatch') await targets.dispatch.publishTo(effect.destination, [effect.subject]);
  const delayed = effects.flatMap((effect) => (effect.kind === 'schedule' ? [effect.delayed] : []));
  if (delayed.length > 0) await targets.schedule.schedule(delayed.map((run) => ({ id: run.id, dueAt: run.dueAt, profileId: run.subject.profile.id, data: run })));
}

/** An emitted event as a request of its own: same source, profile and session as its cause. */
function emittedRequest(effect: Extract<Effect, { kind: 'emit' }>): Envelope {
  const { cause } = effect;
  return {
    v: 1,
    id: `req-${effect.eventId}`,
    receivedAt: Date.now(),
    meta: {},
    payload: {
      source: { id: cause.event.sourceId },
      profile: { id: cause.profile.id },
      session: { id: cause.session.id },
      events: [
        {
          id: effect.eventId,
          type: effect.type,
          properties: effect.properties,
          context: { workflow: { rule: effect.rule, cause: cause.event.id, depth: effect.depth } },
        },
      ],
    },
  };
}
