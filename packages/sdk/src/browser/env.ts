/**
 * The one module that touches browser globals. Everything is looked up on call, never at
 * import, so importing the package on a server or an edge runtime is harmless (there each is
 * undefined).
 */
type Globals = Partial<Pick<Window & typeof globalThis, 'window' | 'document' | 'navigator'>>;
const globals = (): Globals => globalThis;

export const win = (): (Window & typeof globalThis) | undefined => globals().window;
export const doc = (): Document | undefined => globals().document;
export const nav = (): Navigator | undefined => globals().navigator;

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
