/**
 * The one module that touches browser globals. Everything is looked up on call, never at
 * import, so importing the package on a server or an edge runtime is harmless (there each is
 * undefined).
 */
type Globals = Partial<Pick<Window & typeof globalThis, 'window' | 'document' | 'navigator'>>;

export const win = (): (Window & typeof globalThis) | undefined => (globalThis as Globals).window;
export const doc = (): Document | undefined => (globalThis as Globals).document;
export const nav = (): Navigator | undefined => (globalThis as Globals).navigator;

export function storage(): Storage | undefined {
  try {
    return win()?.localStorage;
  } catch {
    // disabled or blocked: undefined
  }
}

/** Writes `value` under `key` in localStorage, or removes the key when there is no value (nothing outside a browser). May throw (storage full). */
export function writeStorage(key: string, value?: string): void {
  if (value) storage()?.setItem(key, value);
  else storage()?.removeItem(key);
}

/** Listens in the capture phase on `target` (win() or doc(): nothing outside a browser). */
export function on(target: EventTarget | undefined, type: string, listener: (event: Event) => void): void {
  target?.addEventListener(type, listener, true); // true: the capture phase
}
