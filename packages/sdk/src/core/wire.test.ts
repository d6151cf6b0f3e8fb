import type { RejectedEvent as ProtocolRejected } from '@inflow/protocol/limits';
import type { TrackAccepted, TrackPayload } from '@inflow/protocol/types';
import { describe, expectTypeOf, it } from 'vitest';
import type { Processed, RejectedEvent, WirePayload } from './wire.js';

describe('the wire types the SDK declares for itself', () => {
  it('stay assignable to the protocol types the edge checks against', () => {
    expectTypeOf<WirePayload>().toMatchTypeOf<TrackPayload>();
    expectTypeOf<Processed>().toMatchTypeOf<Omit<TrackAccepted, 'queued'>>();
    expectTypeOf<RejectedEvent>().toEqualTypeOf<ProtocolRejected>();
  });
});
