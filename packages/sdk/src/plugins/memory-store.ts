import type { EventStore, QueuedEvent } from '../core/types.js';

/** Keeps queued events in memory only: they are lost with the page or process. */
export function memoryStore(): EventStore {
  let events: QueuedEvent[] = [];
  return {
    load: () => events,
    save: (next) => {
      events = next;
    },
    clear: () => {
      events = [];
    },
  };
}
