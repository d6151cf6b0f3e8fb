import type { TrackerPlugin } from '../browser/browser-tracker.js';
import { doc, on } from '../browser/env.js';

export interface AutocaptureOptions {
  /** Clicks on links, buttons and elements marked `data-inflow-click` (default true). */
  clicks?: boolean;
  /** Form submissions (default true). Field values are never read. */
  forms?: boolean;
}

const CLICKABLE = 'a,button,[role=button],input[type=submit],input[type=button],[data-inflow-click]';

/**
 * Opt-in capture of clicks ("click") and form submissions ("form-submit"): which element,
 * its text and link, never what was typed. Pass it in `plugins`; not imported, not shipped.
 */
export function autocapture(options: AutocaptureOptions = {}): TrackerPlugin {
  return (tracker) => {
    if (options.clicks !== false) {
      on(doc(), 'click', (event) => {
        const element = (event.target as Element | null)?.closest?.(CLICKABLE);
        if (!element) return;
        void tracker
          .track('click', {
            tag: element.tagName.toLowerCase(),
            ...describe(element),
            text: (element.textContent ?? '').trim().slice(0, 100),
            ...(element instanceof HTMLAnchorElement ? { href: element.href } : {}),
          })
          .catch(() => undefined);
      });
    }
    if (options.forms !== false) {
      on(doc(), 'submit', (event) => {
        const form = event.target as HTMLFormElement | null;
        if (!form?.tagName) return;
        void tracker.track('form-submit', { ...describe(form), action: form.getAttribute('action') ?? '' }).catch(() => undefined);
      });
    }
  };
}

function describe(element: Element): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of ['id', 'name', 'data-inflow-click']) {
    const value = element.getAttribute(name);
    if (value) found[name === 'data-inflow-click' ? 'label' : name] = value;
  }
  return found;
}
