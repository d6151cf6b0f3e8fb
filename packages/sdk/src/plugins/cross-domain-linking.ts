import { isName } from '../core/event-check.js';
import type { TrackerPlugin } from '../browser/browser-tracker.js';
import { doc, on, win } from '../browser/env.js';

export interface CrossDomainOptions {
  /** Domains whose links carry the profile id (a domain also covers its subdomains). */
  domains: string[];
  /** URL parameter that carries it. */
  param?: string;
}

/**
 * Opt-in cross-domain id linking: a link to one of `domains` gets the profile id as a URL
 * parameter when clicked, and a page that arrives with that parameter takes the id (and drops
 * the parameter from the address bar). Both sites must use it. Pass it in `plugins`.
 */
export function crossDomainLinking(options: CrossDomainOptions): TrackerPlugin {
  const param = options.param ?? 'inflow_pid';
  const listed = (host: string): boolean => options.domains.some((domain) => host === domain || host.endsWith(`.${domain}`));
  return (tracker, identity) => {
    const w = win();
    if (!w) return;
    const here = new URL(w.location.href);
    const arrived = here.searchParams.get(param);
    if (arrived !== null) {
      if (isName(arrived)) identity.setProfileId(arrived);
      here.searchParams.delete(param);
      w.history.replaceState(w.history.state, '', here.href);
    }
    const decorate = (event: Event): void => {
      const link = (event.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null | undefined;
      if (!link) return;
      const url = new URL(link.href);
      if (url.host === w.location.host || !listed(url.hostname)) return;
      url.searchParams.set(param, tracker.profileId());
      link.href = url.href;
    };
    on(doc(), 'mousedown', decorate);
    on(doc(), 'click', decorate);
  };
}
