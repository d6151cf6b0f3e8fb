/** Main thread → writer thread: writes to apply, each group with a ticket to answer. */
export interface WriteRequest<Write> {
  tickets: number[];
  writes: Write[][];
}

/** Writer thread → main thread: every ticket of one transaction, committed (with each write's result) or failed. */
export type WriteAnswer<Result> = { tickets: number[]; results: Result[][] } | { tickets: number[]; error: string };
