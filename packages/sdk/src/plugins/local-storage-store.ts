import { uuid } from '../core/ids.js';
import type { EventStore, QueuedEvent } from '../core/types.js';
import { nav, storage, win } from '../browser/env.js';

export interface LocalStorageStoreOptions {
  /** A page that has not touched its queue for this long is gone; another page takes its events. */
  staleMs?: number;
}

interface Stored {
  t: number;
  e: QueuedEvent[];
}

const HEARTBEAT_MS = 2_000;

/**
 * Queued events in localStorage, so they survive reloads, crashes and offline periods. Each
 * tab writes its own key (its id lives in sessionStorage, so a reload keeps it) and refreshes
 * it while alive; queues of tabs that are gone are adopted by one page at a time, under a Web
 * Lock, so two tabs never send the same events. When storage is full the oldest events go first.
 */
export function localStorageStore(sourceId: string, options: LocalStorageStoreOptions = {}): EventStore {
  const prefix = `inflow:q:${sourceId}:`;
  const staleMs = options.staleMs ?? 10_000;
  const tabId = tabIdentity();
  const own = prefix + tabId;
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
      const take = (): QueuedEvent[] => {
        const adopted: QueuedEvent[] = [];
        for (const key of keys(prefix)) {
          const stored = key === own ? undefined : read(key);
          if (!stored || Date.now() - stored.t < staleMs) continue;
          adopted.push(...stored.e);
          storage()?.removeItem(key);
        }
        return adopted;
      };
      const locks = nav()?.locks;
      return locks ? locks.request(`${prefix}adopt`, take) : take();
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

function tabIdentity(): string {
  try {
    const session = win()?.sessionStorage;
    const id = session?.getItem('inflow:tab') ?? uuid();
    session?.setItem('inflow:tab', id);
    return id;
  } catch {
    return uuid();
  }
}
