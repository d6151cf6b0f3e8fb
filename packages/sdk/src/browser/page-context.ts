import type { JsonObject } from '../core/types.js';
import { doc, nav, win } from './env.js';

/**
 * Where and on what the event happened: page, screen, viewport, language and time zone. The
 * user agent is not repeated here (the edge records the request's header), nor are the page's
 * UTM parameters: the collector reads them from `page.url` (its `context.utm`).
 * Outside a browser it throws, and the tracker sends no context.
 */
export function pageContext(): JsonObject {
  const w = win() as Window;
  const d = doc() as Document;
  const location = w.location;
  return {
    page: { url: location.href, path: location.pathname, title: d.title, referrer: d.referrer },
    screen: { width: w.screen.width, height: w.screen.height },
    viewport: { width: w.innerWidth, height: w.innerHeight },
    language: nav()?.language,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}
