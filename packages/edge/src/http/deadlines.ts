interface Entry {
  readonly at: number;
  readonly onExpiry: () => void;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** A deadline set with Deadlines.set, to pass to Deadlines.clear. */
export type Deadline = object;

/**
 * Deadlines of one length, all on one timer. Each request sets one (its body) and nearly
 * always clears it: here that is a list node linked and
 * unlinked, where a Node timer each cost a timer object and list work per request. All
 * deadlines have the same length, so the order they were set in is the order they expire.
 */
export class Deadlines {
  private head: Entry | undefined;
  private tail: Entry | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly ms: number) {}

  /** Calls onExpiry once `ms` have passed, unless cleared before. */
  set(onExpiry: () => void): Deadline {
    const entry: Entry = { at: performance.now() + this.ms, onExpiry, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.timer ??= this.arm(this.ms);
    return entry;
  }

  clear(deadline: Deadline): void {
    const entry = deadline as Entry;
    if (entry.prev) entry.prev.next = entry.next;
    else if (this.head === entry) this.head = entry.next;
    else return; // already expired or cleared
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
  }

  private arm(ms: number): NodeJS.Timeout {
    // Unreferenced: what waits for a deadline (a socket, a queue) keeps the process alive itself.
    return setTimeout(() => this.expire(), ms).unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head && this.head.at <= now) {
      const entry = this.head;
      this.clear(entry);
      entry.onExpiry();
    }
    // An expiry callback may have set a deadline (and a timer for it): the oldest decides.
    clearTimeout(this.timer);
    this.timer = this.head ? this.arm(Math.max(1, this.head.at - now)) : undefined;
  }
}
