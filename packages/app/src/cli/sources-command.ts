import { parseArgs } from 'node:util';
import type { SourceRecord } from '@inflow/core';
import type { Config } from '../config/config.js';
import type { Output } from './dead-letters-command.js';
import { CliError, isCliError, privateApiClient, type PrivateApiClient } from './private-api-client.js';
import { clip, formatTable } from './table.js';

export const SOURCES_USAGE = `  sources list [--json]
               every source: state, name and the origins browsers may post from
  sources get ID
               one source as JSON
  sources create ID [--name NAME] [--origin ORIGIN ...] [--disabled] [--json]
  sources enable ID | disable ID [--json]`;

type Args = ReturnType<typeof parse>;

/** `inflow sources list|get|create|enable|disable ...` against the private API; resolves with the exit code. */
export async function sourcesCommand(args: string[], config: Config, out: Output): Promise<number> {
  try {
    const [action = '', ...rest] = args;
    const parsed = parse(rest);
    const api = (): PrivateApiClient => privateApiClient(config);
    switch (action) {
      case 'list':
        return await list(parsed, api(), out);
      case 'get':
        out.stdout(JSON.stringify(await api().call<SourceRecord>('GET', pathOf(idOf(parsed, action))), null, 2) + '\n');
        return 0;
      case 'create': {
        const { name, origin, disabled } = parsed.values;
        const body = { id: idOf(parsed, action), ...(name === undefined ? {} : { name }), ...(origin ? { allowedOrigins: origin } : {}), ...(disabled ? { enabled: false } : {}) };
        return written('created', await api().call<SourceRecord>('POST', '/sources', body), parsed, out);
      }
      case 'enable':
      case 'disable':
        return written(`${action}d`, await api().call<SourceRecord>('POST', `${pathOf(idOf(parsed, action))}/${action}`), parsed, out);
      default:
        throw new CliError(`sources needs one of list, get, create, enable, disable${action ? `, not "${action}"` : ''}\n\n${SOURCES_USAGE}`, 2);
    }
  } catch (error) {
    if (!isCliError(error)) throw error;
    out.stderr(`inflow: ${error.message}\n`);
    return error.exitCode;
  }
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, name: { type: 'string' }, origin: { type: 'string', multiple: true }, disabled: { type: 'boolean' } },
    });
  } catch (error) {
    throw new CliError(`sources: ${(error as Error).message}\n\n${SOURCES_USAGE}`, 2, { cause: error });
  }
}

const pathOf = (id: string): string => `/sources/${encodeURIComponent(id)}`;

function idOf({ positionals, values }: Args, action: string): string {
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new CliError(`sources ${action} needs exactly one source id\n\n${SOURCES_USAGE}`, 2);
  if (action !== 'create' && (values.name !== undefined || values.origin !== undefined || values.disabled !== undefined)) {
    throw new CliError(`sources ${action} takes no --name, --origin or --disabled`, 2);
  }
  return id;
}

async function list({ values, positionals }: Args, api: PrivateApiClient, out: Output): Promise<number> {
  if (positionals.length > 0 || values.name !== undefined || values.origin !== undefined) throw new CliError('sources list takes --json only', 2);
  const { sources } = await api.call<{ sources: SourceRecord[] }>('GET', '/sources');
  if (values.json) {
    out.stdout(JSON.stringify(sources, null, 2) + '\n');
    return 0;
  }
  if (sources.length === 0) {
    out.stdout('no sources\n');
    return 0;
  }
  const rows = sources.map((s) => [s.id, s.enabled ? 'enabled' : 'disabled', clip(s.name || '-', 32), clip(s.allowedOrigins.join(',') || '-', 60)]);
  out.stdout(formatTable(['ID', 'STATE', 'NAME', 'ORIGINS'], rows));
  out.stdout(`${sources.length} source${sources.length === 1 ? '' : 's'}\n`);
  return 0;
}

function written(what: string, source: SourceRecord, { values }: Args, out: Output): number {
  if (values.json) out.stdout(JSON.stringify(source, null, 2) + '\n');
  else out.stdout(`${what} source ${source.id}: ${source.enabled ? 'enabled' : 'disabled'}${source.name ? `, "${source.name}"` : ''}\n`);
  return 0;
}
