/**
 * The console script's read-only tables of what operators define (browser JavaScript, served
 * as text): sources, destinations (with paused and circuit state) and rules, with their warnings.
 */
export const SCRIPT_DEFINITIONS = String.raw`
const onOff = (enabled) => (enabled === false ? badge('disabled', 'off') : badge('enabled', 'on'));
const list = (values) => (values || []).join(', ');

function triggerText(trigger) {
  const parts = [];
  if (trigger && trigger.eventTypes && trigger.eventTypes.length) parts.push('types: ' + list(trigger.eventTypes));
  if (trigger && trigger.sources && trigger.sources.length) parts.push('sources: ' + list(trigger.sources));
  return parts.join(' \u00b7 ') || 'every event';
}

function warningsCell(warnings) {
  if (!warnings || warnings.length === 0) return '';
  return h('span', {
    class: 'bad',
    title: warnings.map((w) => w.path + ': ' + w.message).join('\n'),
    text: warnings.length + ' warning' + (warnings.length > 1 ? 's' : ''),
  });
}

/** Paused by an operator or the circuit breaker; the circuit's state when the API names it. */
function destinationState(destination) {
  const badges = [onOff(destination.enabled)];
  if (destination.paused) badges.push(badge('paused', 'warn'));
  const circuit = destination.circuit && typeof destination.circuit === 'object' ? destination.circuit.state : destination.circuit || destination.circuitState;
  if (circuit) badges.push(badge('circuit ' + plain(circuit), circuit === 'closed' ? 'on' : 'warn'));
  return badges;
}

async function loadSources() {
  const sources = (await api('/sources')).sources || [];
  show('sources', table([
    ['id', (source) => h('code', { text: source.id })],
    ['name', (source) => source.name],
    ['state', (source) => onOff(source.enabled)],
    ['allowed origins', (source) => list(source.allowedOrigins) || 'none'],
  ], sources, 'No sources.'));
  return '';
}

async function loadDestinations() {
  const destinations = (await api('/destinations')).destinations || [];
  show('destinations', table([
    ['id', (destination) => h('code', { text: destination.id }), 'nowrap'],
    ['name', (destination) => destination.name],
    ['state', destinationState],
    ['webhook', (destination) => (destination.webhook ? destination.webhook.method + ' ' + destination.webhook.url : '')],
    ['trigger', (destination) => triggerText(destination.trigger)],
    ['', (destination) => warningsCell(destination.warnings)],
  ], destinations, 'No destinations.'));
  return '';
}

async function loadRules() {
  const rules = (await api('/rules')).rules || [];
  show('rules', table([
    ['id', (rule) => h('code', { text: rule.id })],
    ['name', (rule) => rule.name],
    ['state', (rule) => onOff(rule.enabled)],
    ['trigger', (rule) => triggerText(rule.trigger) + (rule.condition ? ' \u00b7 with a condition' : '')],
    ['actions', (rule) => (rule.actions || []).map((action) => action.type).join(' \u2192 ')],
    ['max depth', (rule) => (rule.maxDepth === undefined ? 'default' : String(rule.maxDepth)), 'num'],
    ['', (rule) => warningsCell(rule.warnings)],
  ], rules, 'No rules.'));
  return '';
}
`;
