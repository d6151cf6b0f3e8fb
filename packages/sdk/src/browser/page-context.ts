import type { JsonObject } from '../core/types.js';
import { doc, nav, win } from './env.js';

/**
 * Where and on what the event happened: page, UTM parameters, screen, viewport, language and
 * time zone. The user agent is not repeated here: the edge records the request's header.
 * Outside a browser it throws, and the tracker sends no context.
 */
export function pageContext(): JsonObject {
  const w = win() as Window;
  const d = doc() as Document;
  const location = w.location;
  // Made by the first UTM parameter: without one there is no utm entry at all. Only names an
  // event may carry (a link to the page must not make every event of it invalid: `?utm_=`,
  // `?utm___proto__=`).
  let utm: Record<string, string> | undefined;
  new URLSearchParams(location.search).forEach((value, key) => {
    if (/^utm_(?!__proto__$)[\w-]{1,64}$/.test(key)) (utm ||= {})[key.slice(4)] = value;
  });
  return {
    page: { url: location.href, path: location.pathname, title: d.title, referrer: d.referrer },
    ...(utm && { utm }),
    screen: { width: w.screen.width, height: w.screen.height },
    viewport: { width: w.innerWidth, height: w.innerHeight },
    language: nav()?.language,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}
