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
 * add-on's script lands: before the tracker's (the call waits in the snippet's queue, which the
 * tracker replays in order, after the snippet's `init`) or after it (through `ready`). Load
 * add-ons after the snippet.
 */
export function whenLoaded(use: (api: ScriptTagApi) => void): void {
  const w = win() as (Window & { inflow?: Queued | ScriptTagApi }) | undefined;
  if (!w) return;
  const inflow = (w.inflow ??= []);
  const go = (): void => use(w.inflow as ScriptTagApi);
  if (Array.isArray(inflow)) inflow.push(['ready', [go]]);
  else inflow.ready(go);
}
