/**
 * The console script's trace search (browser JavaScript, served as text): an event, request
 * or profile id (or any of them, tried in that order) shown as a timeline of stages; the
 * request and profile an entry names are links to their own trace.
 */
export const SCRIPT_TRACE = String.raw`
const TRACE_ROUTES = [['event', '/events/'], ['request', '/requests/'], ['profile', '/profiles/']];
const STAGE_COLOURS = { edge: 'k0', queued: 'k5', stored: 'k1', deduplicated: 'k5', routed: 'k3', rule: 'k3', delivered: 'k2', 'delivery-failed': 'k4', 'dead-lettered': 'k4' };

async function searchTrace(kind, id) {
  const routes = kind === 'any' ? TRACE_ROUTES : TRACE_ROUTES.filter(([name]) => name === kind);
  let missing = 0;
  note('trace', 'Searching\u2026');
  for (const [name, base] of routes) {
    try {
      const answer = await api(base + encodeURIComponent(id) + '/trace' + (name === 'profile' ? '?limit=50' : ''));
      const entries = answer.entries || [];
      if (entries.length === 0 && routes.length > 1) continue;
      show('trace', timeline(name, id, entries));
      note('trace', '');
      return;
    } catch (error) {
      if (error.status === 401) return;
      if (routeMissing(error)) missing += 1;
      else if (error.status !== 404) return note('trace', 'Could not search: ' + error.message, 'error');
    }
  }
  show('trace');
  if (missing === routes.length) note('trace', 'Not available on this server yet: GET ' + routes[0][1] + '{id}/trace answered 404 (no such endpoint).', 'missing');
  else note('trace', 'Nothing is known of "' + id + '" as ' + (kind === 'any' ? 'an event, request or profile' : 'a ' + kind) + ' id.');
}

function traceLink(kind, id) {
  return h('button', { type: 'button', class: 'link', title: 'Trace this ' + kind, text: kind + ' ' + short(id, 40), onclick: () => {
    byId('trace-kind').value = kind;
    byId('trace-id').value = id;
    void searchTrace(kind, id);
  } });
}

function timeline(kind, id, entries) {
  const first = entries.length > 0 ? toDate(entries[0].at).getTime() : 0;
  const eventsOf = (ids) => (ids.length === 1 ? 'event ' + ids[0] : ids.length + ' events');
  return [
    h('p', { class: 'caption', text: kind + ' ' + id + ': ' + entries.length + (entries.length === 1 ? ' entry' : ' entries') }),
    h('ol', { class: 'timeline' }, entries.map((entry) => h('li', { class: STAGE_COLOURS[entry.stage] || 'k6', 'data-stage': entry.stage },
      h('time', { text: fmtTime(entry.at) }),
      h('span', { class: 'delta', text: '+' + Math.max(0, toDate(entry.at).getTime() - first) + ' ms' }),
      h('b', { class: 'stage', text: entry.stage }),
      h('span', { class: 'role', text: entry.role }),
      entry.requestId && !(kind === 'request' && entry.requestId === id) ? traceLink('request', entry.requestId) : null,
      entry.profileId && !(kind === 'profile' && entry.profileId === id) ? traceLink('profile', entry.profileId) : null,
      entry.eventIds && entry.eventIds.length ? h('span', { class: 'role', text: eventsOf(entry.eventIds) }) : null,
      entry.detail ? h('span', { class: 'detail', text: Object.entries(entry.detail).map(([key, value]) => key + '=' + short(plain(value), 200)).join(' ') }) : null))),
  ];
}
`;
