/**
 * What the stages report, as small ports: the edge, the workers and the queue batcher know these
 * interfaces, not prom-client. Each is bound to its cells once; a call bumps numbers.
 */

/** A stage's unit is the event (an unreadable request or message counts as one). */
export type StageName = 'collector' | 'dispatch' | 'workflow';

/**
 * How a received event left the stage. stored / deduplicated (collector: counted before or not),
 * delivered (dispatch), done (workflow), dead_lettered, retried (given back to the queue
 * unsettled: a nack, or left unacknowledged on close; counted received again when redelivered).
 */
export type StageOutcome = 'stored' | 'deduplicated' | 'delivered' | 'done' | 'dead_lettered' | 'retried';

export interface StageMeter {
  received(events: number): void;
  settled(outcome: StageOutcome, events: number): void;
}

/** One destination's lane; its events count in the dispatch stage too. */
export interface DestinationMeter extends StageMeter {
  attempt(success: boolean): void;
}

/** An HTTP server's answers, by route template (`''`: no route matched). */
export interface HttpMeter {
  answered(route: string, status: number, seconds: number, bodyBytes: number): void;
}

/** Ingestion requests (/track, Segment) as the edge decided them. */
export interface EdgeMeter {
  /** Counted by the answer's status: 2xx accepted, 503 unavailable, anything else refused. */
  answered(status: number): void;
  /** Events of an accepted request, and those refused alone inside it. */
  events(accepted: number, refused: number): void;
}

/** One producer's batches (RequestBatcher). */
export interface PublishMeter {
  published(requests: number, bytes: number, seconds: number): void;
  failed(): void;
}

/** Rules the workflow considered. */
export interface RuleMeter {
  ran(matched: number, notMatched: number): void;
}
