import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DefinitionProblem } from '@inflow/workers';
import type { Config } from '../config/config.js';
import type { Output } from './dead-letters-command.js';
import { CliError, isCliError, privateApiClient, type PrivateApiClient } from './private-api-client.js';
import { formatTable } from './table.js';

/** A definition as the private API answers it. */
export interface ShownDefinition {
  id: string;
  version: number;
  warnings: DefinitionProblem[];
}

export type DefinitionArgs = ReturnType<typeof parse>;

/** An action of one kind only (e.g. `destinations test`); resolves with the exit code. */
export type ExtraAction = (args: DefinitionArgs, api: PrivateApiClient, out: Output) => Promise<number>;

/** One kind of definition on the command line (`inflow destinations ...`, `inflow rules ...`). */
export interface DefinitionsCli<V extends ShownDefinition> {
  noun: string;
  plural: string;
  usage: string;
  /** What the API keeps of a definition; left out of a file given to create or update. */
  systemFields: readonly string[];
  /** Actions that POST /{plural}/{id}/{action} and answer the definition: pause and resume, enable and disable. */
  states: readonly string[];
  /** After "created rule r1: ": state, version and the like. */
  describe(view: V): string;
  /** The list as a table: header and one row per definition. */
  table(views: V[]): { header: string[]; rows: string[][] };
  extra?: Record<string, ExtraAction>;
}

/** `inflow <plural> list|show|create|update|delete|<state>|<extra> ...` against the private API; resolves with the exit code. */
export function definitionsCommand<V extends ShownDefinition>(cli: DefinitionsCli<V>) {
  const actions = ['list', 'show', 'create', 'update', 'delete', ...cli.states, ...Object.keys(cli.extra ?? {})];
  return async (args: string[], config: Config, out: Output): Promise<number> => {
    try {
      const [action = '', ...rest] = args;
      const parsed = parse(rest, cli);
      const api = (): PrivateApiClient => privateApiClient(config);
      const extra = cli.extra && Object.hasOwn(cli.extra, action) ? cli.extra[action] : undefined;
      if (extra) return await extra(parsed, api(), out);
      if (cli.states.includes(action)) {
        return written(cli, `${action}d`, await api().call<V>('POST', `${pathOf(cli, idOf(parsed, cli, action))}/${action}`), parsed, out);
      }
      switch (action) {
        case 'list':
          return await list(cli, parsed, api(), out);
        case 'show':
          out.stdout(JSON.stringify(await api().call<V>('GET', pathOf(cli, idOf(parsed, cli, action))), null, 2) + '\n');
          return 0;
        case 'create':
          return written(cli, 'created', await api().call<V>('POST', `/${cli.plural}`, definitionFile(parsed, cli, action).spec), parsed, out);
        case 'update':
          return await update(cli, parsed, api(), out);
        case 'delete': {
          const id = idOf(parsed, cli, action);
          await api().call('DELETE', pathOf(cli, id));
          out.stdout(`deleted ${cli.noun} ${id}\n`);
          return 0;
        }
        default:
          throw new CliError(`${cli.plural} needs one of ${actions.join(', ')}${action ? `, not "${action}"` : ''}\n\n${cli.usage}`, 2);
      }
    } catch (error) {
      if (!isCliError(error)) throw error;
      out.stderr(`inflow: ${error.message}\n`);
      return error.exitCode;
    }
  };
}

function parse(args: string[], cli: { plural: string; usage: string }) {
  try {
    return parseArgs({ args, allowPositionals: true, options: { file: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' } } });
  } catch (error) {
    throw new CliError(`${cli.plural}: ${(error as Error).message}\n\n${cli.usage}`, 2, { cause: error });
  }
}

export const pathOf = (cli: { plural: string }, id: string): string => `/${cli.plural}/${encodeURIComponent(id)}`;

export function idOf({ positionals }: DefinitionArgs, cli: { noun: string; plural: string; usage: string }, action: string): string {
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new CliError(`${cli.plural} ${action} needs exactly one ${cli.noun} id\n\n${cli.usage}`, 2);
  return id;
}

/** The JSON object of --file, without the fields the API keeps; `version` is returned apart. */
function definitionFile(args: DefinitionArgs, cli: { plural: string; usage: string; systemFields: readonly string[] }, action: string): { spec: Record<string, unknown>; version?: number } {
  const object = readJsonFile(args.values.file, cli, action);
  const version = object['version'];
  const spec = Object.fromEntries(Object.entries(object).filter(([key]) => !cli.systemFields.includes(key)));
  return typeof version === 'number' ? { spec, version } : { spec };
}

export function readJsonFile(file: string | undefined, cli: { plural: string; usage: string }, action: string): Record<string, unknown> {
  if (!file) throw new CliError(`${cli.plural} ${action} needs --file FILE.json\n\n${cli.usage}`, 2);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, 2, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${file} must hold a JSON object`, 2);
  return parsed as Record<string, unknown>;
}

async function list<V extends ShownDefinition>(cli: DefinitionsCli<V>, { values, positionals }: DefinitionArgs, api: PrivateApiClient, out: Output): Promise<number> {
  if (positionals.length > 0 || values.file !== undefined) throw new CliError(`${cli.plural} list takes --json only`, 2);
  const answer = await api.call<Record<string, V[] | undefined>>('GET', `/${cli.plural}`);
  const views = answer[cli.plural] ?? [];
  if (values.json) {
    out.stdout(JSON.stringify(views, null, 2) + '\n');
    return 0;
  }
  if (views.length === 0) {
    out.stdout(`no ${cli.plural}\n`);
    return 0;
  }
  const { header, rows } = cli.table(views);
  out.stdout(formatTable(header, rows));
  out.stdout(`${views.length} ${views.length === 1 ? cli.noun : cli.plural}\n`);
  return 0;
}

async function update<V extends ShownDefinition>(cli: DefinitionsCli<V>, args: DefinitionArgs, api: PrivateApiClient, out: Output): Promise<number> {
  const id = idOf(args, cli, 'update');
  const { spec, version } = definitionFile(args, cli, 'update');
  const headers: Record<string, string> = version !== undefined && !args.values.force ? { 'if-match': `"${version}"` } : {};
  return written(cli, 'updated', await api.call<V>('PUT', pathOf(cli, id), spec, headers), args, out);
}

function written<V extends ShownDefinition>(cli: DefinitionsCli<V>, what: string, view: V, { values }: DefinitionArgs, out: Output): number {
  if (values.json) out.stdout(JSON.stringify(view, null, 2) + '\n');
  else out.stdout(`${what} ${cli.noun} ${view.id}: ${cli.describe(view)}\n`);
  for (const warning of view.warnings) out.stderr(`warning: ${warning.path}: ${warning.message}\n`);
  return 0;
}
