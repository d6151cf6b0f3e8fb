import type { DropReason } from './types.js';

/** Events delivered and given up since a tracker was made. */
export interface Counts {
  sent: number;
  dropped: number;
}

/** A tally of events, and the `_counted` setting of the tracker whose events it counts (the Node tracker's flush() reports them). */
export function countEvents(): { counts: Counts; counted: (count: number, reason?: DropReason) => void } {
  const counts: Counts = { sent: 0, dropped: 0 };
  return {
    counts,
    counted: (count, reason) => {
      if (reason) counts.dropped += count;
      else counts.sent += count;
    },
  };
}
