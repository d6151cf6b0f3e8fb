import { uuid } from '../core/ids.js';
import type { EventStore, QueuedEvent } from '../core/types.js';
import { nav, storage, writeStorage } from '../browser/env.js';

/** Resolves never: a lock callback returning it keeps the lock until the page is gone. */
const FOREVER = new Promise<never>(() => undefined);

/**
 * Queued events in localStorage, so they survive reloads, crashes and offline periods. Each
 * page (document) writes its own key and holds a Web Lock of the same name while it lives.
 * A key whose lock is free belongs to a page that is gone (closed, crashed, or reloaded): the
 * first page to take that lock adopts the events and keeps the lock for good, so no other page
 * can adopt them again, even one whose view of localStorage is a moment behind. Without Web
 * Locks (browsers before 2022) a page adopts every other key: an event may then be sent by two
 * pages, and the collector stores it once. When storage is full the oldest events go first.
 */
export function localStorageStore(sourceId: string): EventStore {
  const prefix = `inflow:q:${sourceId}:`;
  const own = prefix + uuid();
  const locks = nav()?.locks;
  void locks?.request(own, () => FOREVER);
  /** The events under a key: an array, or `{ e: [...] }` as trackers before 0.2 stored them. */
  const read = (key: string): QueuedEvent[] => {
    let events: unknown;
    try {
      // An absent key (null) parses as null, no storage (undefined) throws: either way, nothing.
      const stored = JSON.parse(storage()?.getItem(key) as string) as { e?: QueuedEvent[] } | null;
      events = stored?.e ?? stored;
    } catch {
      /* unreadable: nothing to load */
    }
    return Array.isArray(events) ? events : [];
  };
  const keys = (): string[] => Object.keys(storage() ?? {}).filter((key) => key.startsWith(prefix));
  /** Whether a key's page is gone: its lock is free (and now held for good), or there are no locks. */
  const gone = async (key: string): Promise<boolean> =>
    !locks || new Promise<boolean>((resolve) => void locks.request(key, { ifAvailable: true }, (lock) => (resolve(!!lock), lock && FOREVER)));
  return {
    load: () => read(own),
    save(events) {
      for (let keep = events; ; keep = keep.slice((keep.length + 1) >> 1)) {
        try {
          return writeStorage(own, keep[0] && JSON.stringify(keep));
        } catch {
          /* quota: drop the oldest half and try again */
        }
      }
    },
    clear() {
      for (const key of keys()) writeStorage(key);
    },
    async adopt() {
      const adopted: QueuedEvent[] = [];
      for (const key of keys()) {
        if (key !== own && (await gone(key))) {
          // Taken out of storage: no other page adopts them again.
          adopted.push(...read(key));
          writeStorage(key);
        }
      }
      return adopted;
    },
  };
}
