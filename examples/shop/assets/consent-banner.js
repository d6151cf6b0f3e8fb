// The consent banner: accept all, reject all, or choose categories. The choice is saved by
// analytics.js and handed to the tracker there (applyConsent).
import { saveChoice, savedChoice } from './analytics.js';
import { $, on } from './dom.js';

const CATEGORIES = [
  { name: 'analytics', label: 'Analytics', detail: 'Page views and shop events: what you see in the live panel.' },
  { name: 'marketing', label: 'Marketing', detail: 'Campaign attribution. The shop records nothing for it yet.' },
];

/** Shows the banner; `withChoices` opens the categories at once (from "Privacy settings"). */
export function showConsentBanner(withChoices = false) {
  const host = $('#consent');
  const current = savedChoice() ?? { analytics: false, marketing: false };
  host.innerHTML = `<div class="consent" role="dialog" aria-labelledby="consent-title" data-test="consent-banner">
      <h2 id="consent-title">Your privacy, your call</h2>
      <p>This demo shop sends what you do here to Inflow, on this very server, to build a profile you can watch
        in the live panel. Nothing is sent until you choose.</p>
      <fieldset class="consent-choices" ${withChoices ? '' : 'hidden'}>
        <legend>Categories</legend>
        ${CATEGORIES.map(
          (c) => `<label class="choice"><input type="checkbox" name="${c.name}" data-test="consent-${c.name}" ${current[c.name] ? 'checked' : ''}>
            <span><strong>${c.label}</strong>${c.detail}</span></label>`,
        ).join('')}
      </fieldset>
      <div class="consent-actions">
        <button class="btn btn-ghost" data-consent="reject" data-test="consent-reject">Reject all</button>
        <button class="btn btn-ghost" data-consent="${withChoices ? 'save' : 'choose'}" data-test="consent-choose">${withChoices ? 'Save choices' : 'Choose…'}</button>
        <button class="btn" data-consent="accept" data-test="consent-accept">Accept all</button>
      </div>
    </div>`;
  const decide = (choice) => {
    saveChoice(choice);
    host.innerHTML = '';
  };
  on(host.firstElementChild, 'click', '[data-consent]', (button) => {
    const action = button.dataset.consent;
    if (action === 'accept') decide({ analytics: true, marketing: true });
    else if (action === 'reject') decide({ analytics: false, marketing: false });
    else if (action === 'choose') showConsentBanner(true);
    else decide({ analytics: $('[name=analytics]', host).checked, marketing: $('[name=marketing]', host).checked });
  });
}
