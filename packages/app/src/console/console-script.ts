import { SCRIPT_DEFINITIONS } from './script-definitions.js';
import { SCRIPT_KIT } from './script-kit.js';
import { SCRIPT_QUEUE } from './script-queue.js';
import { SCRIPT_STATS } from './script-stats.js';
import { SCRIPT_TRACE } from './script-trace.js';

/**
 * The console's wiring (browser JavaScript, served as text): the token gate (kept in
 * sessionStorage, sent as a bearer token), the refresh loop (stats and backlog every 5 s,
 * the lists every 30 s, nothing while the tab is hidden), and the buttons.
 */
const SCRIPT_MAIN = String.raw`
const FAST_MS = 5000;
const SLOW_EVERY = 6;
let timer = 0;
let tick = 0;
let busy = false;

function locked(message) {
  clearInterval(timer);
  timer = 0;
  byId('board').hidden = true;
  byId('controls').hidden = true;
  byId('gate').hidden = false;
  byId('gate-message').textContent = message || '';
  byId('token').focus();
}

function unlock() {
  byId('gate').hidden = true;
  byId('board').hidden = false;
  byId('controls').hidden = false;
  clearInterval(timer);
  tick = 0;
  timer = setInterval(() => {
    tick += 1;
    if (!document.hidden) void refresh(tick % SLOW_EVERY === 0);
  }, FAST_MS);
  void refresh(true);
}

async function refresh(everything) {
  if (busy) return;
  busy = true;
  try {
    const jobs = [load('stats', loadStats, 'GET /stats'), load('backlog', loadBacklog, 'GET /backlog')];
    if (everything) {
      jobs.push(load('sources', loadSources, 'GET /sources'), load('destinations', loadDestinations, 'GET /destinations'), load('rules', loadRules, 'GET /rules'));
      if (!confirming) jobs.push(load('dead-letters', loadDeadLetters, 'GET /dead-letters'));
    }
    await Promise.all(jobs);
    if (timer) byId('updated').textContent = 'updated ' + fmtTime(Date.now()).slice(0, 8);
  } finally {
    busy = false;
  }
}

byId('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = byId('token').value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('token').value = '';
  byId('gate-message').textContent = '';
  unlock();
});
byId('forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  locked('The token is forgotten in this tab.');
});
byId('refresh').addEventListener('click', () => void refresh(true));
byId('trace-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = byId('trace-id').value.trim();
  if (id) void searchTrace(byId('trace-kind').value, id);
});
if (sessionStorage.getItem(TOKEN_KEY)) unlock();
else locked('');
`;

/** /console/app.js: every part in one strict-mode function, nothing global. */
export function consoleScript(): string {
  return ['(() => {', "'use strict';", SCRIPT_KIT, SCRIPT_STATS, SCRIPT_QUEUE, SCRIPT_DEFINITIONS, SCRIPT_TRACE, SCRIPT_MAIN, '})();', ''].join('\n');
}
