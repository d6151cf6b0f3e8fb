import { win } from '../browser/env.js';

/**
 * Sends a page view now and on every route change of a single-page app (history.pushState,
 * replaceState, back and forward). Opt-in: import it only if you want it.
 */
export function autoPageViews(tracker: { page(properties?: Record<string, unknown>): unknown }): () => void {
  const w = win();
  if (!w) return () => undefined;
  let last = '';
  /** One page view per address: a replaceState to the same one is not a new view. */
  const view = (): void => {
    if (last !== (last = w.location.href)) tracker.page();
  };
  const history = w.history;
  const originals = { pushState: history.pushState, replaceState: history.replaceState };
  for (const name of Object.keys(originals) as Array<keyof typeof originals>) {
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = originals[name].apply(this, args);
      view();
      return result;
    };
  }
  w.addEventListener('popstate', view);
  view();
  return () => {
    Object.assign(history, originals);
    w.removeEventListener('popstate', view);
  };
}
