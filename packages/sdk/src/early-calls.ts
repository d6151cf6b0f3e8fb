/** A call made on the script tag's API before init: the method's name and its arguments. */
export type EarlyCall = [string, unknown[]];

/** Calls kept before init at most (a page that never inits must not grow without bound); later ones are dropped (silently: the script tag's size budget has no room for a message). */
export const MAX_EARLY_CALLS = 1000;

/** Keeps `call` for init unless `early` is full: the first calls are kept, in order (identify and consent come first on most pages). */
export function keepEarlyCall(early: EarlyCall[], call: EarlyCall): void {
  if (early.length < MAX_EARLY_CALLS) early.push(call);
}
