// The live panel: a drawer showing the events this browser sent (as the tracker sent them,
// recorded by wire-tap.js) and the profile Inflow stored from them (GET /demo/profile, which
// the edge answers for the visitor's own tracker cookie only).
import { savedChoice } from './analytics.js';
import { $, clock, esc, on } from './dom.js';

const REFRESH_MS = 1500;
let timer;
let stored = { state: 'loading', profile: null, sessions: [], events: [] };
let updatedAt = '';

export function setUpLivePanel() {
  const panel = $('#live-panel');
  on(document, 'click', '[data-open-panel]', () => openPanel(true));
  $('#panel-toggle').addEventListener('click', () => openPanel(!panel.classList.contains('open')));
  $('#panel-close').addEventListener('click', () => openPanel(false));
  window.addEventListener('shop:sent', () => {
    renderSent();
    if (panel.classList.contains('open')) void refresh();
  });
  window.addEventListener('shop:consent', () => {
    renderSent();
    void refresh();
  });
  renderSent();
  if (sessionStorage.getItem('shop.panel') === 'open') openPanel(true);
}

function openPanel(open) {
  const panel = $('#live-panel');
  panel.classList.toggle('open', open);
  document.body.classList.toggle('panel-open', open);
  $('#panel-toggle').setAttribute('aria-expanded', String(open));
  sessionStorage.setItem('shop.panel', open ? 'open' : 'closed');
  clearInterval(timer);
  if (open) {
    void refresh();
    timer = setInterval(() => void refresh(), REFRESH_MS);
  }
}

async function refresh() {
  try {
    const response = await fetch('/demo/profile', { cache: 'no-store' });
    if (response.ok) {
      stored = await response.json();
      updatedAt = new Date().toISOString();
    }
  } catch {
    /* the edge is restarting: keep what we have */
  }
  renderStored();
}

/** The few properties worth a glance in a list. */
function gist(properties) {
  const p = properties ?? {};
  if (p.order_id) return `${p.order_id} · ${p.total} ${p.currency}`;
  if (p.traits) return Object.entries(p.traits).map(([k, v]) => `${k}: ${v}`).join(', ');
  if (p.product_id) return `${p.name}${p.quantity ? ` × ${p.quantity}` : ''}`;
  if (p.total !== undefined) return `${p.total} ${p.currency ?? ''}`;
  if (p.title) return p.title;
  return '';
}

function eventRow(event, badge) {
  return `<li class="event" data-test="event" data-type="${esc(event.type)}">
      <span class="event-type">${esc(event.type)}</span>
      <span class="event-gist">${esc(gist(event.properties))}</span>
      <span class="event-meta">${clock(event.time)}${badge}</span>
    </li>`;
}

function renderSent() {
  const sent = (window.shopSent?.() ?? []).slice().reverse();
  $('#panel-count').textContent = String(sent.length);
  $('#panel-count').hidden = sent.length === 0;
  const list = $('#sent-events');
  if (sent.length === 0) {
    const choice = savedChoice();
    list.innerHTML = `<li class="placeholder">${choice && !choice.analytics ? 'Nothing is sent: you rejected analytics.' : choice ? 'Waiting for the first batch…' : 'Nothing is sent until you choose in the consent banner.'}</li>`;
    return;
  }
  list.innerHTML = sent
    .map((e) => eventRow(e, ` · <span class="status ${e.status === 0 || e.status >= 400 ? 'bad' : ''}" title="via ${esc(e.via)}">${esc(e.via === 'beacon' ? 'beacon' : e.status)}</span>`))
    .join('');
}

function renderStored() {
  const box = $('#stored-profile');
  $('#panel-updated').textContent = updatedAt ? `updated ${clock(updatedAt)} · every ${REFRESH_MS / 1000} s` : '';
  if (!stored.profile) {
    box.innerHTML = `<p class="placeholder" data-test="profile-state">${stored.state === 'no-cookie' ? 'No tracker cookie yet: no profile.' : stored.state === 'not-found' ? 'Not stored yet: the first events are on their way.' : 'Loading…'}</p>`;
    $('#stored-events').innerHTML = '';
    return;
  }
  const p = stored.profile;
  const traits = Object.entries(p.traits ?? {});
  box.innerHTML = `<dl class="facts">
      <div><dt>Events</dt><dd data-test="profile-event-count">${p.eventCount}</dd></div>
      <div><dt>Sessions</dt><dd data-test="profile-visits">${p.visits}</dd></div>
      <div><dt>First seen</dt><dd>${clock(p.firstVisitAt)}</dd></div>
      <div><dt>Last seen</dt><dd>${clock(p.lastVisitAt)}</dd></div>
    </dl>
    <p class="profile-id">Profile <code data-test="profile-id">${esc(p.id)}</code></p>
    <h4>Traits</h4>
    ${
      traits.length === 0
        ? '<p class="placeholder">None yet: they come with <code>identify</code> at checkout.</p>'
        : `<dl class="traits" data-test="traits">${traits.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</dd></div>`).join('')}</dl>`
    }`;
  $('#stored-events').innerHTML = stored.events.map((e) => eventRow(e, '')).join('');
}
