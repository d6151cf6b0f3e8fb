/**
 * A random v4 UUID: each x of the template becomes a random hex digit, y one of 8, 9, a, b.
 * crypto.getRandomValues exists in every browser (secure context or not), in workers and in
 * Node, unlike crypto.randomUUID, which needs a secure context.
 */
export function uuid(): string {
  const random = globalThis.crypto.getRandomValues(new Uint8Array(32));
  let i = 0;
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => ((c === 'x' ? 0 : 8) | ((random[i++] as number) & (c === 'x' ? 15 : 3))).toString(16));
}
