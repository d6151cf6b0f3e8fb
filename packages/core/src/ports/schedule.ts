/**
 * Work to do later (a rule's actions after a `delay`), kept durably: it survives restarts of
 * every role, and a due item is leased to exactly one worker at a time. An item whose lease runs
 * out without being completed (its worker died) is leased again.
 */
export interface ScheduledItem {
  /** Deterministic (derived from what scheduled it): scheduling it twice keeps one. */
  id: string;
  /** Epoch milliseconds. */
  dueAt: number;
  /** The profile the work is about: what the API lists by. */
  profileId: string;
  data: unknown;
}

export interface ScheduleStore {
  /** Adds the item unless one with its id exists (completed ones are gone, and are not added again: see `complete`). */
  schedule(items: ScheduledItem[]): Promise<void>;
  /** Due items not leased (or whose lease ran out), now leased to `owner` until now + leaseMs. */
  leaseDue(now: number, max: number, owner: string, leaseMs: number): Promise<ScheduledItem[]>;
  /** Done (or cancelled): removed, and its id remembered so a late `schedule` of it adds nothing. false: nothing was pending. */
  complete(id: string): Promise<boolean>;
  /** Pending items, soonest first; of one profile when given. */
  list(limit: number, profileId?: string): Promise<Array<ScheduledItem & { leasedUntil: number | null }>>;
}
