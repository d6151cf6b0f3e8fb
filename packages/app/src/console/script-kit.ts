/**
 * The console script's toolkit (browser JavaScript, served as text): elements built with
 * textContent and setAttribute only (never innerHTML, so no data is ever parsed as markup),
 * number and time formats, tables, and the private API client with its 401 and
 * missing-route handling. No backticks or dollar-brace in here: this is a String.raw template.
 */
export const SCRIPT_KIT = String.raw`
const TOKEN_KEY = 'inflow.console.token';
const SVG_NS = 'http://www.w3.org/2000/svg';

const byId = (id) => document.getElementById(id);

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') el.textContent = String(value);
    else if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** An element; children are nodes or text (never markup). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const child of children.flat(3)) if (child !== null && child !== undefined && child !== false && child !== '') el.append(child);
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  return el;
}

const isNumber = (n) => typeof n === 'number' && Number.isFinite(n);
const fmtCount = (n) => (isNumber(n) ? Math.round(n).toLocaleString('en') : '\u2014');
const fmtNumber = (n) => (!isNumber(n) ? '\u2014' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : String(Math.round(n * 10) / 10));
const pad = (n, width) => String(n).padStart(width, '0');
const toDate = (at) => new Date(typeof at === 'number' ? at : String(at));
function fmtTime(at) {
  const d = toDate(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
}
function fmtDateTime(at) {
  const d = toDate(at);
  return Number.isNaN(d.getTime()) ? String(at || '') : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}
const short = (text, max) => (text.length > max ? text.slice(0, max - 1) + '\u2026' : text);
const plain = (value) => (typeof value === 'string' ? value : JSON.stringify(value));
const badge = (text, kind) => h('span', { class: 'badge ' + kind, text });

/** columns: [heading, (row) => content, class?]; an empty list says so instead. */
function table(columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty', text: empty });
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(([heading, , cls]) => h('th', { class: cls, text: heading })))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell, cls]) => h('td', { class: cls }, cell(row)))))));
}

/** What a section shows (its body) and says (its status line). */
function show(name, ...content) {
  byId(name + '-body').replaceChildren(...content.flat().filter(Boolean));
}
function note(name, text, kind) {
  const el = byId(name + '-status');
  el.textContent = text || '';
  el.className = 'status' + (kind ? ' ' + kind : '');
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
/** The router's own 404 (no such endpoint), as opposed to a route's "that id does not exist". */
const routeMissing = (error) => error instanceof ApiError && error.status === 404 && /^no such endpoint/.test(error.message);

/** A private API call with the token; JSON in and out. A 401 locks the console. */
async function api(path, body) {
  const init = { cache: 'no-store', headers: { authorization: 'Bearer ' + (sessionStorage.getItem(TOKEN_KEY) || '') } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError(0, 'unreachable', 'the private API cannot be reached (' + cause.message + ')');
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data || {};
  const error = (data && data.error) || {};
  const failure = new ApiError(response.status, error.code || 'http', error.message || response.status + ' ' + response.statusText);
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    locked('The private API refused this token (401 Unauthorized: ' + failure.message + '). Enter the token again.');
  }
  throw failure;
}

/** Runs a section's loader; its status line says what went wrong, and that a route is not there yet. */
async function load(name, loader, route) {
  try {
    note(name, await loader());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    if (routeMissing(error)) {
      show(name);
      note(name, 'Not available on this server yet: ' + route + ' answered 404 (' + error.message + ').', 'missing');
    } else {
      note(name, 'Could not load ' + route + ': ' + error.message, 'error');
    }
  }
}
`;
