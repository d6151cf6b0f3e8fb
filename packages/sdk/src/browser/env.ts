/**
 * The one module that touches browser globals. Everything is looked up on call, never at
 * import, so importing the package on a server or an edge runtime is harmless.
 */
export const win = (): (Window & typeof globalThis) | undefined => (typeof window === 'undefined' ? undefined : window);
export const doc = (): Document | undefined => (typeof document === 'undefined' ? undefined : document);
export const nav = (): Navigator | undefined => (typeof navigator === 'undefined' ? undefined : navigator);

export function storage(): Storage | undefined {
  try {
    return win()?.localStorage;
  } catch {
    return undefined; // disabled or blocked
  }
}

export function on(target: 'window' | 'document', type: string, listener: (event: Event) => void): void {
  (target === 'window' ? win() : doc())?.addEventListener(type, listener, { capture: true });
}
