import { parseArgs } from 'node:util';
import { shownUrl, type TopicStatus } from '@inflow/core';
import type { Config } from '../config/config.js';
import type { Balance, StageBalance } from '../private-api/stats-summary.js';
import type { Output } from './dead-letters-command.js';
import { isCliError, privateApiClient } from './private-api-client.js';
import { checkHttp, checkRedis, type ServiceCheck } from './service-checks.js';
import { formatTable } from './table.js';

export const STATUS_USAGE = `  status [--json] [--timeout MS]
               the private API and the engine's services reachable (MS each, default 2000), backlog and
               dead letters per topic, live instances, counters that balance; exits 1 when something is down`;

const DEFAULT_TIMEOUT_MS = 2_000;

/** GET /stats as the CLI reads it. */
interface StatsView {
  at: string;
  instances: Array<{ instance: string; role: string; at: string }>;
  balance: Balance;
}

/** What was learned, each part null when it could not be read. */
export interface Status {
  ok: boolean;
  engine: Config['engine'];
  services: ServiceCheck[];
  topics: TopicStatus[] | null;
  deadLetters: number | null;
  instances: Array<{ instance: string; role: string; ageSeconds: number }> | null;
  balance: Balance | null;
  problems: string[];
}

/** `inflow status`: one look at the whole deployment; resolves with the exit code (1: something is unreachable). */
export async function statusCommand(args: string[], config: Config, out: Output): Promise<number> {
  let values: { json?: boolean; timeout?: string };
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' }, timeout: { type: 'string' } } }));
  } catch (error) {
    out.stderr(`inflow: status: ${(error as Error).message}\n\n${STATUS_USAGE}\n`);
    return 2;
  }
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    out.stderr(`inflow: --timeout must be a whole number of milliseconds (got "${values.timeout}")\n`);
    return 2;
  }
  const status = await readStatus(config, timeoutMs, out);
  if (values.json) out.stdout(JSON.stringify(status, null, 2) + '\n');
  else out.stdout(formatStatus(status));
  return status.ok ? 0 : 1;
}

async function readStatus(config: Config, timeoutMs: number, out: Output): Promise<Status> {
  const distributed = config.engine === 'distributed';
  out.stderr(`checking the private API${distributed ? ', Pulsar, Elasticsearch and Redis' : ''} (${timeoutMs} ms each) ...\n`);
  const problems: string[] = [];
  const [api, ...services] = await Promise.all([
    readPrivateApi(config, timeoutMs),
    ...(distributed
      ? [
          checkPulsarAdmin(config, timeoutMs),
          ...(config.pulsarTransport === 'binary' ? [checkPulsarBinary(config, timeoutMs)] : []),
          checkHttp('elasticsearch', config.elasticsearchUrl, '/', timeoutMs), checkRedis(config.redisUrl, timeoutMs),
        ]
      : []),
  ]);
  if (api.backlogProblem) problems.push(api.backlogProblem);
  if (api.statsProblem) problems.push(api.statsProblem);
  const all = [api.check, ...services];
  for (const check of all) if (!check.up) problems.push(`${check.service} is unreachable at ${check.url}: ${check.detail}`);
  const now = api.stats ? Date.parse(api.stats.at) : Date.now();
  return {
    ok: problems.length === 0,
    engine: config.engine,
    services: all,
    topics: api.topics,
    deadLetters: api.topics ? api.topics.reduce((sum, topic) => sum + topic.deadLetters, 0) : null,
    instances: api.stats ? api.stats.instances.map(({ instance, role, at }) => ({ instance, role, ageSeconds: Math.max(0, (now - Date.parse(at)) / 1000) })) : null,
    balance: api.stats?.balance ?? null,
    problems,
  };
}

/** Pulsar's admin API, with the token when one is configured (a 401 says it is missing or refused). */
async function checkPulsarAdmin(config: Config, timeoutMs: number): Promise<ServiceCheck> {
  let headers: Record<string, string> = {};
  try {
    const { PulsarToken } = await import('@inflow/workers');
    headers = PulsarToken.from({ token: config.pulsarToken, tokenFile: config.pulsarTokenFile })?.headers() ?? {};
  } catch (error) {
    return { service: 'pulsar', url: shownUrl(config.pulsarUrl), up: false, detail: (error as Error).message };
  }
  return checkHttp('pulsar', config.pulsarUrl, '/admin/v2/clusters', timeoutMs, headers);
}

/** The brokers' binary protocol (what producers and consumers use): a handshake, at the address given or the one the cluster names. */
async function checkPulsarBinary(config: Config, timeoutMs: number): Promise<ServiceCheck> {
  try {
    const { checkPulsarBroker, PulsarToken } = await import('@inflow/workers');
    const auth = PulsarToken.from({ token: config.pulsarToken, tokenFile: config.pulsarTokenFile });
    const { url, ms } = await checkPulsarBroker(config.pulsarUrl, config.pulsarServiceUrl, timeoutMs, auth);
    return { service: 'pulsar (binary protocol)', url, up: true, detail: `${ms} ms` };
  } catch (error) {
    const url = (error as { url?: string }).url ?? config.pulsarServiceUrl ?? `${shownUrl(config.pulsarUrl)} (brokers' address not read)`;
    return { service: 'pulsar (binary protocol)', url, up: false, detail: (error as Error).message };
  }
}

interface PrivateApiView {
  check: ServiceCheck;
  stats: StatsView | null;
  topics: TopicStatus[] | null;
  backlogProblem?: string;
  statsProblem?: string;
}

async function readPrivateApi(config: Config, timeoutMs: number): Promise<PrivateApiView> {
  const started = Date.now();
  const url = `http://${config.privateHost}:${config.privatePort}`;
  try {
    const api = privateApiClient(config, { timeoutMs });
    // Reachable and taking the token; what it reads from (the queue, the stats board) may still be away.
    await api.call('GET', '/openapi/private.json');
    const check = { service: 'private API', url: api.url, up: true, detail: `${Date.now() - started} ms` };
    const [stats, backlog] = await Promise.all([
      api.call<StatsView>('GET', '/stats').catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      api.call<{ topics: TopicStatus[] }>('GET', '/backlog').catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    ]);
    const view: PrivateApiView = { check, stats: stats instanceof Error ? null : stats, topics: backlog instanceof Error ? null : backlog.topics };
    if (backlog instanceof Error) view.backlogProblem = `the queue's backlog could not be read: ${backlog.message}`;
    if (stats instanceof Error) view.statsProblem = `the counters could not be read: ${stats.message}`;
    return view;
  } catch (error) {
    if (!isCliError(error)) throw error;
    return { check: { service: 'private API', url, up: false, detail: error.message }, stats: null, topics: null };
  }
}

export function formatStatus(status: Status): string {
  const sections: string[] = [];
  sections.push(formatTable(['SERVICE', 'STATE', 'URL', 'DETAIL'], status.services.map((s) => [s.service, s.up ? '✓ up' : '✗ down', s.url, s.detail])));
  if (status.topics) {
    const rows = status.topics.map((t) => [t.topic, String(t.total), String(t.deadLetters)]);
    sections.push(formatTable(['TOPIC', 'BACKLOG', 'DEAD LETTERS'], rows) + `dead letters: ${status.deadLetters ?? 0}\n`);
  }
  if (status.instances) {
    const rows = status.instances.map((i) => [i.instance, i.role, `${i.ageSeconds.toFixed(1)} s`]);
    sections.push(rows.length === 0 ? 'no instance has published its counters yet\n' : formatTable(['INSTANCE', 'ROLE', 'LAST SEEN'], rows));
  }
  if (status.balance) sections.push(formatTable(['STAGE', 'RECEIVED', 'DONE', 'DEAD LETTERED', 'RETRIED', 'PENDING', 'BALANCED'], balanceRows(status.balance)));
  sections.push(status.ok ? 'all reachable\n' : status.problems.map((problem) => `✗ ${problem}`).join('\n') + '\n');
  return sections.join('\n');
}

function balanceRows(balance: Balance): string[][] {
  const row = (stage: string, done: number, b: StageBalance): string[] => [stage, String(b.received), String(done), String(b.deadLettered), String(b.retried), String(b.pending), b.balanced ? '✓' : '✗'];
  return [
    row('collector', balance.collector.stored + balance.collector.deduplicated, balance.collector),
    row('workflow', balance.workflow.done, balance.workflow),
    row('dispatch', balance.dispatch.delivered, balance.dispatch),
    ...Object.entries(balance.destinations).map(([id, b]) => row(`destination ${id}`, b.delivered, b)),
  ];
}
