import type { DefinitionStore } from './definitions.js';
import type { ProfileState } from './profile-state.js';
import type { Queue } from './queue.js';
import type { ScheduleStore } from './schedule.js';
import type { RecordStore, SourceStore } from './store.js';

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
  close(): Promise<void>;
}
