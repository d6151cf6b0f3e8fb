// The contract between the edge and the workers: ports, the envelope that travels on the
// queue, records, errors, logging and the small utilities both sides use. No adapters here.
export * from './errors.js';
export * from './logging/logger.js';
export type * from './records/records.js';
export type * from './ports/queue.js';
export type * from './ports/store.js';
export type * from './ports/profile-state.js';
export type * from './ports/definitions.js';
export type * from './ports/schedule.js';
export type * from './ports/engine.js';
export type * from './ports/request-collector.js';
export type * from './ports/trace.js';
export type * from './ports/stats-board.js';
export * from './util/lifecycle.js';
export * from './util/timeout.js';
export * from './util/bucket-of.js';
export * from './util/consume-loop.js';
export * from './util/keyed-lock.js';
export * from './util/struct-problem.js';
export * from './envelope/envelope.js';
export * from './envelope/envelope-batch.js';
export * from './envelope/normalize.js';
export * from './envelope/session-profile.js';
export * from './batching/request-batcher.js';
export * from './topics.js';
