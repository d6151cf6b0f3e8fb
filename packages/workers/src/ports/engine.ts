import type { DefinitionStore } from './definitions.js';
import type { ProfileState } from './profile-state.js';
import type { Queue } from './queue.js';
import type { RecordStore, SourceStore } from './store.js';

/** The storage and transport adapters behind the ports: embedded or distributed. */
export interface Engine {
  queue: Queue;
  store: RecordStore;
  sources: SourceStore;
  /** Destinations and rules. */
  definitions: DefinitionStore;
  profileState: ProfileState;
  close(): Promise<void>;
}
