import type { TrackAccepted } from '@inflow/protocol';
import type { Envelope } from '../envelope/envelope.js';
import { isStateConflict } from '../errors.js';
import type { ProfileState } from '../ports/profile-state.js';
import type { StorageBatch } from '../records/records.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { collect } from './collect.js';

export interface Collected {
  batch: StorageBatch;
  accepted: TrackAccepted;
}

/**
 * Turns one envelope into records, reading and updating the profile state. Requests for
 * one profile run one after another, so concurrent requests never lose an update.
 */
export class Collector {
  private readonly lock = new KeyedLock();

  constructor(private readonly state: ProfileState) {}

  process(envelope: Envelope): Promise<Collected> {
    const { profile, session } = envelope.payload;
    return this.lock.run(profile.id, async () => {
      for (let attempt = 1; ; attempt++) {
        const [currentProfile, currentSession] = await Promise.all([
          this.state.getProfile(profile.id),
          this.state.getSession(session.id),
        ]);
        const batch = collect(envelope, { profile: currentProfile, session: currentSession });
        try {
          await this.state.put(batch.profile, batch.session);
        } catch (error) {
          // Another worker moved this profile on (a rebalance of keys): redo the work on its state.
          if (isStateConflict(error) && attempt < MAX_CONFLICT_RETRIES) continue;
          throw error;
        }
        return accepted(batch);
      }
    });
  }
}

const MAX_CONFLICT_RETRIES = 5;

function accepted(batch: StorageBatch): Collected {
  return {
    batch,
    accepted: {
      queued: false,
      profile: { id: batch.profile.id },
      session: { id: batch.session.id },
      events: batch.events.map((event) => event.id),
    },
  };
}
