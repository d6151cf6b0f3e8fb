import { win } from '../browser/env.js';

/** What a script-tag add-on may call: the methods of `window.inflow` once the tracker is loaded. */
export interface ScriptTagApi {
  page(properties?: Record<string, unknown>): unknown;
  track(type: string, properties?: Record<string, unknown>): unknown;
  ready(callback: () => void): void;
}

type Queued = Array<[string, unknown[]]>;

/**
 * Runs `use` with the script tag's API once the tracker is loaded and initialised, wherever the
 * add-on's script lands: before the snippet or the tracker (the call waits in the snippet's
 * queue, which the tracker replays in order), before `init` (the tracker keeps calls made before
 * init and makes them then) or after it (through `ready`). `name` makes a second copy of the
 * same add-on on the page do nothing.
 */
export function whenLoaded(name: string, use: (api: ScriptTagApi) => void): void {
  const w = win() as (Window & { inflow?: Queued | ScriptTagApi } & Record<string, unknown>) | undefined;
  const flag = `inflow:${name}`;
  if (!w || w[flag]) return;
  w[flag] = true;
  const inflow = (w.inflow ??= []);
  const go = (): void => use(w.inflow as ScriptTagApi);
  if (Array.isArray(inflow)) inflow.push(['ready', [go]]);
  else inflow.ready(go);
}
