/**
 * The console script's stats panel (browser JavaScript, served as text): GET /stats drawn as
 * two hand-written SVG line charts (events per second per stage, p99 latency per stage) over
 * the last 15 minutes, or since the first sample when that is more recent; the instances
 * reporting, and the counters that must balance.
 */
export const SCRIPT_STATS = String.raw`
const WINDOW_MS = 15 * 60 * 1000;
const MIN_SPAN_MS = 60 * 1000;
const STAGE_ORDER = ['edge', 'collector', 'dispatch', 'workflow'];
const THROUGHPUT = [
  ['edge.events.accepted', 'edge accepted'],
  ['collector.events.stored', 'collector stored'],
  ['dispatch.events.delivered', 'dispatch delivered'],
  ['workflow.events.done', 'workflow done'],
  ['collector.events.dead_lettered', 'dead-lettered'],
];
const LATENCY = /\.latency\.p99_ms$/;
const stageRank = (name) => {
  const rank = STAGE_ORDER.indexOf(name.split('.')[0]);
  return rank < 0 ? STAGE_ORDER.length : rank;
};

async function loadStats() {
  const stats = await api('/stats');
  const end = Date.parse(stats.at) || Date.now();
  const series = (stats.series || []).filter((point) => Date.parse(point.at) >= end - WINDOW_MS);
  // A young server's few samples are spread over the time it has run, not squeezed against "now".
  const oldest = series.length > 0 ? Date.parse(series[0].at) : end;
  const start = end - Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, end - oldest));
  const pick = (field, name) =>
    series.flatMap((point) => {
      const value = point[field] && point[field][name];
      return isNumber(value) ? [[Date.parse(point.at), value]] : [];
    });
  const latencies = [...new Set(series.flatMap((point) => Object.keys(point.gauges || {})))]
    .filter((name) => LATENCY.test(name))
    .sort((a, b) => stageRank(a) - stageRank(b) || a.localeCompare(b));
  show('stats',
    instancesLine(stats),
    h('div', { class: 'charts' },
      chart('Throughput (events/s)', THROUGHPUT.map(([name, label]) => ({ name, label, points: pick('rates', name) })), start, end, '/s'),
      chart('Latency p99 (ms)', latencies.map((name) => ({ name, label: name.replace(LATENCY, ''), points: pick('gauges', name) })), start, end, ' ms')),
    balanceTable(stats.balance || {}));
  return series.length === 0 ? 'No samples in the last 15 minutes yet.' : '';
}

function instancesLine(stats) {
  const roles = {};
  for (const instance of stats.instances || []) roles[instance.role] = (roles[instance.role] || 0) + 1;
  const parts = Object.entries(roles).map(([role, count]) => role + (count > 1 ? ' \u00d7' + count : ''));
  const every = isNumber(stats.intervalMs) ? ', sampled every ' + fmtNumber(stats.intervalMs / 1000) + ' s' : '';
  return h('p', { class: 'muted', text: (stats.instances || []).length + ' instance(s) reporting: ' + (parts.join(', ') || 'none') + every + '.' });
}

const fmtSpan = (ms) => (ms >= 60000 ? fmtNumber(ms / 60000) + ' min' : Math.round(ms / 1000) + ' s');

/** The grid step: the smallest of 1, 2, 2.5 or 5 times a power of ten at or above v (the chart's top is four steps). */
function niceStep(v) {
  if (!(v > 0)) return 0.25;
  const power = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5]) if (m * power >= v) return m * power;
  return 10 * power;
}

const W = 600, H = 190, LEFT = 48, RIGHT = 10, TOP = 10, BOTTOM = 22;

/** lines: [{ name, label, points: [[epochMs, value]] }]; one polyline (a dot for one point) each. */
function chart(title, lines, start, end, unit) {
  const values = lines.flatMap((line) => line.points.map((point) => point[1]));
  const step = niceStep(Math.max(0, ...values) / 4);
  const top = step * 4;
  const x = (t) => LEFT + ((t - start) / (end - start)) * (W - LEFT - RIGHT);
  const y = (v) => TOP + (1 - v / top) * (H - TOP - BOTTOM);
  const plot = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': title });
  for (let i = 0; i <= 4; i++) {
    const v = step * i;
    plot.append(svg('line', { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: 'grid' }), svg('text', { x: LEFT - 6, y: y(v) + 4, class: 'axis end', text: v >= 100 ? fmtCount(v) : String(Math.round(v * 100) / 100) }));
  }
  for (let i = 0; i <= 4; i++) {
    const ago = ((end - start) * (4 - i)) / 4;
    plot.append(svg('text', { x: x(end - ago), y: H - 6, class: 'axis ' + (i === 0 ? 'start' : i === 4 ? 'end' : 'mid'), text: i === 4 ? 'now' : '-' + fmtSpan(ago) }));
  }
  lines.forEach((line, i) => {
    if (line.points.length === 0) return;
    const attrs = { class: 'line k' + i, 'data-series': line.name, 'data-points': line.points.length };
    const [first] = line.points;
    plot.append(line.points.length === 1
      ? svg('circle', { ...attrs, cx: x(first[0]).toFixed(1), cy: y(first[1]).toFixed(1), r: 3 })
      : svg('polyline', { ...attrs, points: line.points.map(([t, v]) => x(t).toFixed(1) + ',' + y(v).toFixed(1)).join(' ') }));
  });
  if (values.length === 0) plot.append(svg('text', { x: W / 2, y: H / 2, class: 'axis mid', text: 'no data points yet' }));
  const legend = h('ul', { class: 'legend' }, lines.map((line, i) => {
    const last = line.points[line.points.length - 1];
    return h('li', {}, h('span', { class: 'swatch k' + i }), line.label + ' ', h('b', { text: last ? fmtNumber(last[1]) + unit : '\u2014' }));
  }));
  return h('figure', {}, h('figcaption', { text: title }), plot, legend);
}

/** One row per stage (and per destination): its counters, and whether they balance. */
function balanceTable(balance) {
  const rows = [];
  for (const [stage, value] of Object.entries(balance)) {
    if (stage === 'destinations') for (const [id, counts] of Object.entries(value || {})) rows.push(['destination ' + id, counts || {}]);
    else rows.push([stage, value || {}]);
  }
  const fields = [...new Set(rows.flatMap(([, counts]) => Object.keys(counts).filter((key) => isNumber(counts[key]))))];
  return table([
    ['stage', ([stage]) => stage],
    ...fields.map((field) => [field, ([, counts]) => fmtCount(counts[field]), 'num']),
    ['balanced', ([, counts]) => (typeof counts.balanced === 'boolean' ? badge(counts.balanced ? 'yes' : 'no', counts.balanced ? 'on' : 'warn') : '\u2014')],
  ], rows, 'No counters reported yet.');
}
`;
