import type { TrackAccepted } from '@inflow/protocol';
import type { Envelope } from '../envelope/envelope.js';
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
      const [currentProfile, currentSession] = await Promise.all([
        this.state.getProfile(profile.id),
        this.state.getSession(session.id),
      ]);
      const batch = collect(envelope, { profile: currentProfile, session: currentSession });
      await this.state.put(batch.profile, batch.session);
      return {
        batch,
        accepted: {
          queued: false,
          profile: { id: batch.profile.id },
          session: { id: batch.session.id },
          events: batch.events.map((event) => event.id),
        },
      };
    });
  }
}
