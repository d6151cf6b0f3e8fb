import type { TrackAccepted } from '@inflow/protocol';
import type { Envelope } from '../envelope/envelope.js';

export type CollectOutcome = { kind: 'stored'; accepted: TrackAccepted } | { kind: 'rejected'; reason: string };

/**
 * The collector as the edge sees it for a request that is not queued: collect and store it
 * now, answer with what was stored (or why it cannot be).
 */
export interface RequestCollector {
  process(envelope: Envelope): Promise<CollectOutcome>;
}
