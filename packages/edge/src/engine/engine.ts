import type { ProfileState, Queue, RecordStore, SourceStore } from '@inflow/workers';

/** The storage and transport adapters behind the ports: embedded or distributed. */
export interface Engine {
  queue: Queue;
  store: RecordStore;
  sources: SourceStore;
  profileState: ProfileState;
  close(): Promise<void>;
}
