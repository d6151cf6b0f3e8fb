import { uuid } from '../core/ids.js';
import type { EventStore, QueuedEvent } from '../core/types.js';
import { nav, storage, win } from '../browser/env.js';

export interface LocalStorageStoreOptions {
  /**
   * Without Web Locks only: a page that has not touched its queue for this long is taken for
   * gone, and another page takes its events.
   */
  staleMs?: number;
}

interface Stored {
  t: number;
  e: QueuedEvent[];
}

const HEARTBEAT_MS = 2_000;

/** Resolves never: a lock callback returning it keeps the lock until the page is gone. */
const FOREVER = new Promise<never>(() => undefined);

/**
 * Queued events in localStorage, so they survive reloads, crashes and offline periods. Each
 * page (document) writes its own key and holds a Web Lock of the same name while it lives.
 * A key whose lock is free belongs to a page that is gone (closed, crashed, or reloaded):
 * the first page to take that lock adopts the events and keeps the lock for good, so no other
 * page can adopt them again, even one whose view of localStorage is a moment behind. Without
 * Web Locks, a key untouched for `staleMs` counts as gone. When storage is full the oldest
 * events go first.
 */
export function localStorageStore(sourceId: string, options: LocalStorageStoreOptions = {}): EventStore {
  const prefix = `inflow:q:${sourceId}:`;
  const staleMs = options.staleMs ?? 10_000;
  const own = prefix + uuid();
  const locks = nav()?.locks;
  void locks?.request(own, () => FOREVER);
  let current: QueuedEvent[] = [];

  const write = (events: QueuedEvent[]): void => {
    const ls = storage();
    if (!ls) return;
    if (events.length === 0) return ls.removeItem(own);
    for (let keep = events; keep.length > 0; keep = keep.slice(Math.ceil(keep.length / 2))) {
      try {
        ls.setItem(own, JSON.stringify({ t: Date.now(), e: keep } satisfies Stored));
        return;
      } catch {
        /* quota: drop the oldest half and try again */
      }
    }
  };
  win()?.setInterval(() => current.length > 0 && write(current), HEARTBEAT_MS);

  return {
    load() {
      current = read(own)?.e ?? [];
      return current;
    },
    save(events) {
      current = events;
      write(events);
    },
    clear() {
      current = [];
      const ls = storage();
      if (!ls) return;
      for (const key of keys(prefix)) ls.removeItem(key);
    },
    async adopt() {
      const adopted: QueuedEvent[] = [];
      const take = (key: string): void => {
        const stored = read(key);
        if (!stored) return;
        adopted.push(...stored.e);
        storage()?.removeItem(key);
      };
      for (const key of keys(prefix)) {
        if (key === own) continue;
        if (!locks) {
          if (Date.now() - (read(key)?.t ?? Date.now()) >= staleMs) take(key);
          continue;
        }
        await new Promise<void>((resolve) => {
          void locks.request(key, { ifAvailable: true }, (lock) => {
            if (lock) take(key);
            resolve();
            return lock ? FOREVER : undefined;
          });
        });
      }
      return adopted;
    },
  };
}

function read(key: string): Stored | undefined {
  try {
    const text = storage()?.getItem(key);
    const stored = text ? (JSON.parse(text) as Stored) : undefined;
    return stored && Array.isArray(stored.e) ? stored : undefined;
  } catch {
    return undefined;
  }
}

function keys(prefix: string): string[] {
  const ls = storage();
  const found: string[] = [];
  if (!ls) return found;
  for (let i = 0; i < ls.length; i++) {
    const key = ls.key(i);
    if (key?.startsWith(prefix)) found.push(key);
  }
  return found;
}
