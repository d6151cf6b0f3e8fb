import { nav, win } from '../browser/env.js';

/** True when the browser asks not to be tracked: Global Privacy Control or Do-Not-Track. */
export function privacySignals(): boolean {
  const n = nav() as (Navigator & { globalPrivacyControl?: boolean; msDoNotTrack?: string }) | undefined;
  const dnt = n?.doNotTrack ?? (win() as { doNotTrack?: string } | undefined)?.doNotTrack;
  return n?.globalPrivacyControl === true || dnt === '1' || dnt === 'yes';
}
