import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AttemptOutcome, DefinitionProblem, DestinationRecord } from '@inflow/workers';
import type { Config } from '../config/config.js';
import type { Output } from './dead-letters-command.js';
import { CliError, isCliError, privateApiClient, type PrivateApiClient } from './private-api-client.js';
import { clip, formatTable } from './table.js';

export const DESTINATIONS_USAGE = `  destinations list [--json]
               every destination: state, URL, events, revision and warnings
  destinations show ID
               one destination as JSON (save it, edit it, give it to update)
  destinations create --file FILE.json [--json]
  destinations update ID --file FILE.json [--json] [--force]
               replace the definition; a "version" in the file (as show prints it) is sent as
               If-Match, so a change made meanwhile is refused; --force writes over it
  destinations delete ID
  destinations pause ID | resume ID [--json]
  destinations test ID [--file SAMPLE.json] [--json]
               render the mapping for a sample event ({"event", "profile", "session"} parts from
               SAMPLE.json) and send one real request; exits 1 unless the receiver answers 2xx`;

type View = DestinationRecord & { warnings: DefinitionProblem[] };
interface TestAnswer {
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  outcome: AttemptOutcome;
}

/** What the API keeps of a destination; left out of a file given to create or update. */
const SYSTEM_FIELDS = ['version', 'revision', 'paused', 'createdAt', 'updatedAt', 'warnings'];

/** `inflow destinations ...` against the private API; resolves with the exit code. */
export async function destinationsCommand(args: string[], config: Config, out: Output): Promise<number> {
  try {
    const [action = '', ...rest] = args;
    const parsed = parse(rest);
    const api = (): PrivateApiClient => privateApiClient(config);
    switch (action) {
      case 'list':
        return await list(parsed, api(), out);
      case 'show':
        out.stdout(JSON.stringify(await api().call<View>('GET', path(idOf(parsed, action))), null, 2) + '\n');
        return 0;
      case 'create':
        return written('created', await api().call<View>('POST', '/destinations', definitionFile(parsed, action).spec), parsed, out);
      case 'update':
        return await update(parsed, api(), out);
      case 'delete': {
        const id = idOf(parsed, action);
        await api().call('DELETE', path(id));
        out.stdout(`deleted destination ${id}\n`);
        return 0;
      }
      case 'pause':
      case 'resume':
        return written(`${action}d`, await api().call<View>('POST', `${path(idOf(parsed, action))}/${action}`), parsed, out);
      case 'test':
        return await test(parsed, api(), out);
      default:
        throw new CliError(`destinations needs one of list, show, create, update, delete, pause, resume, test${action ? `, not "${action}"` : ''}\n\n${DESTINATIONS_USAGE}`, 2);
    }
  } catch (error) {
    if (!isCliError(error)) throw error;
    out.stderr(`inflow: ${error.message}\n`);
    return error.exitCode;
  }
}

type Parsed = ReturnType<typeof parse>;

function parse(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: { file: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' } } });
  } catch (error) {
    throw new CliError(`destinations: ${(error as Error).message}\n\n${DESTINATIONS_USAGE}`, 2, { cause: error });
  }
}

const path = (id: string): string => `/destinations/${encodeURIComponent(id)}`;

function idOf({ positionals }: Parsed, action: string): string {
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new CliError(`destinations ${action} needs exactly one destination id\n\n${DESTINATIONS_USAGE}`, 2);
  return id;
}

/** The JSON object of --file, without the fields the API keeps; `version` is returned apart. */
function definitionFile({ values }: Parsed, action: string): { spec: Record<string, unknown>; version?: number } {
  const object = readJsonFile(values.file, action);
  const version = object['version'];
  const spec = Object.fromEntries(Object.entries(object).filter(([key]) => !SYSTEM_FIELDS.includes(key)));
  return typeof version === 'number' ? { spec, version } : { spec };
}

function readJsonFile(file: string | undefined, action: string): Record<string, unknown> {
  if (!file) throw new CliError(`destinations ${action} needs --file FILE.json\n\n${DESTINATIONS_USAGE}`, 2);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, 2, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${file} must hold a JSON object`, 2);
  return parsed as Record<string, unknown>;
}

async function list({ values, positionals }: Parsed, api: PrivateApiClient, out: Output): Promise<number> {
  if (positionals.length > 0 || values.file !== undefined) throw new CliError('destinations list takes --json only', 2);
  const { destinations } = await api.call<{ destinations: View[] }>('GET', '/destinations');
  if (values.json) {
    out.stdout(JSON.stringify(destinations, null, 2) + '\n');
    return 0;
  }
  if (destinations.length === 0) {
    out.stdout('no destinations\n');
    return 0;
  }
  const rows = destinations.map((d) => [
    d.id,
    stateOf(d),
    `${d.webhook.method} ${clip(d.webhook.url, 48)}`,
    clip(d.trigger.eventTypes.join(',') || '*', 32),
    String(d.revision),
    String(d.version),
    d.warnings.length === 0 ? '-' : clip(d.warnings.map((w) => w.message).join('; '), 60),
  ]);
  out.stdout(formatTable(['ID', 'STATE', 'WEBHOOK', 'EVENTS', 'REV', 'VER', 'WARNINGS'], rows));
  out.stdout(`${destinations.length} destination${destinations.length === 1 ? '' : 's'}\n`);
  return 0;
}

const stateOf = (d: View): string => (!d.enabled ? 'disabled' : d.paused ? 'paused' : 'active');

async function update(parsed: Parsed, api: PrivateApiClient, out: Output): Promise<number> {
  const id = idOf(parsed, 'update');
  const { spec, version } = definitionFile(parsed, 'update');
  const headers: Record<string, string> = version !== undefined && !parsed.values.force ? { 'if-match': `"${version}"` } : {};
  return written('updated', await api.call<View>('PUT', path(id), spec, headers), parsed, out);
}

function written(what: string, destination: View, { values }: Parsed, out: Output): number {
  if (values.json) out.stdout(JSON.stringify(destination, null, 2) + '\n');
  else out.stdout(`${what} destination ${destination.id}: ${stateOf(destination)}, version ${destination.version}, revision ${destination.revision}\n`);
  for (const warning of destination.warnings) out.stderr(`warning: ${warning.path}: ${warning.message}\n`);
  return 0;
}

async function test(parsed: Parsed, api: PrivateApiClient, out: Output): Promise<number> {
  const id = idOf(parsed, 'test');
  const sample = parsed.values.file === undefined ? {} : readJsonFile(parsed.values.file, 'test');
  const answer = await api.call<TestAnswer>('POST', `${path(id)}/test`, sample);
  const delivered = answer.outcome.kind === 'answer' && answer.outcome.status >= 200 && answer.outcome.status < 300;
  if (parsed.values.json) {
    out.stdout(JSON.stringify(answer, null, 2) + '\n');
    return delivered ? 0 : 1;
  }
  const { request, outcome } = answer;
  out.stdout(`${request.method} ${request.url}\n`);
  for (const [name, value] of Object.entries(request.headers)) out.stdout(`${name}: ${value}\n`);
  out.stdout(`\n${JSON.stringify(request.body, null, 2)}\n\n`);
  out.stdout(`→ ${describeOutcome(outcome)}\n`);
  return delivered ? 0 : 1;
}

function describeOutcome(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'answer':
      return `${outcome.status}${outcome.retryAfterSeconds === undefined ? '' : ` (Retry-After ${outcome.retryAfterSeconds} s)`}${outcome.body ? `: ${clip(outcome.body, 200)}` : ''}`;
    case 'network':
      return `not sent: ${outcome.message}`;
    case 'timeout':
      return `no answer within ${outcome.afterMs} ms`;
  }
}
