import type { DefinitionStore } from './definitions.js';
import type { ProfileState } from './profile-state.js';
import type { Queue } from './queue.js';
import type { ScheduleStore } from './schedule.js';
import type { StatsBoard } from './stats-board.js';
import type { RecordStore, SourceStore } from './store.js';
import type { TraceStore } from './trace.js';

/** The storage and transport adapters behind the ports: embedded or distributed. */
export interface Engine {
  queue: Queue;
  store: RecordStore;
  sources: SourceStore;
  /** Destinations and rules. */
  definitions: DefinitionStore;
  /** Work to do later (rules' delayed actions). */
  schedule: ScheduleStore;
  profileState: ProfileState;
  /** Where each event has been (bounded, with a time to live). */
  trace: TraceStore;
  /** Every running instance's counters. */
  stats: StatsBoard;
  close(): Promise<void>;
}
