import { parseArgs } from 'node:util';
import type { DeadLetter, DeadLetterReplay } from '@inflow/core';
import type { Config } from '../config/config.js';
import { MAX_REPLAY_IDS } from '../private-api/dead-letter-routes.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../private-api/request-input.js';
import { CliError, isCliError, privateApiClient, type PrivateApiClient } from './private-api-client.js';
import { clip, formatTable } from './table.js';

export const DEAD_LETTERS_USAGE = `  dead-letters list [--limit N] [--json]
               the kept dead letters with their ids (N: 1-${MAX_LIMIT}, default ${DEFAULT_LIMIT})
  dead-letters replay --all | --id ID [--id ID ...]
               send dead letters back to their topics; exits 1 when an id was not found`;

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A dead letter as GET /dead-letters shows it: the data as text. */
type DeadLetterView = Omit<DeadLetter, 'data'> & { data: string };

/** `inflow dead-letters list|replay ...` against the private API; resolves with the exit code. */
export async function deadLettersCommand(args: string[], config: Config, out: Output): Promise<number> {
  try {
    const [action, ...rest] = args;
    if (action === 'list') return await list(parse(rest, false), () => privateApiClient(config), out);
    if (action === 'replay') return await replay(parse(rest, true), () => privateApiClient(config), out);
    throw new CliError(`dead-letters needs "list" or "replay"${action ? `, not "${action}"` : ''}\n\n${DEAD_LETTERS_USAGE}`, 2);
  } catch (error) {
    if (!isCliError(error)) throw error;
    out.stderr(`inflow: ${error.message}\n`);
    return error.exitCode;
  }
}

type Parsed = ReturnType<typeof parse>;

function parse(args: string[], replaying: boolean) {
  try {
    return parseArgs({
      args,
      allowPositionals: replaying,
      options: {
        limit: { type: 'string' },
        json: { type: 'boolean' },
        all: { type: 'boolean' },
        id: { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    throw new CliError(`dead-letters: ${(error as Error).message}\n\n${DEAD_LETTERS_USAGE}`, 2, { cause: error });
  }
}

async function list({ values }: Parsed, connect: () => PrivateApiClient, out: Output): Promise<number> {
  if (values.all !== undefined || values.id !== undefined) throw new CliError('dead-letters list takes --limit and --json only', 2);
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new CliError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got "${values.limit}")`, 2);
  }
  const { deadLetters } = await connect().call<{ deadLetters: DeadLetterView[] }>('GET', `/dead-letters?limit=${limit}`);
  if (values.json) {
    out.stdout(JSON.stringify(deadLetters, null, 2) + '\n');
    return 0;
  }
  if (deadLetters.length === 0) {
    out.stdout('no dead letters\n');
    return 0;
  }
  const rows = deadLetters.map((l) => [l.id, l.topic, clip(l.key, 24), l.failedAt || '-', clip(l.reason, 72)]);
  out.stdout(formatTable(['ID', 'TOPIC', 'KEY', 'FAILED AT', 'REASON'], rows));
  const more = deadLetters.length === limit ? ` (the first ${limit}; --limit to see more)` : '';
  out.stdout(`${deadLetters.length} dead letter${deadLetters.length === 1 ? '' : 's'}${more}\n`);
  return 0;
}

async function replay({ values, positionals }: Parsed, connect: () => PrivateApiClient, out: Output): Promise<number> {
  if (values.limit !== undefined || values.json !== undefined) throw new CliError('dead-letters replay takes --all or --id only', 2);
  const ids = [...new Set([...(values.id ?? []), ...positionals])];
  if (Boolean(values.all) === ids.length > 0) throw new CliError(`dead-letters replay needs either --all or --id ID (not both)\n\n${DEAD_LETTERS_USAGE}`, 2);
  const api = connect();
  if (values.all) {
    out.stderr(`replaying every dead letter through ${api.url} ...\n`);
    const { replayed } = await api.call<DeadLetterReplay>('POST', '/dead-letters/replay', {});
    out.stdout(`replayed ${replayed} dead letter${replayed === 1 ? '' : 's'}\n`);
    return 0;
  }
  let replayed = 0;
  const notFound: string[] = [];
  for (let start = 0; start < ids.length; start += MAX_REPLAY_IDS) {
    const chunk = ids.slice(start, start + MAX_REPLAY_IDS);
    const result = await api.call<DeadLetterReplay>('POST', '/dead-letters/replay', { ids: chunk });
    replayed += result.replayed;
    notFound.push(...result.notFound);
    out.stderr(`replay: ${start + chunk.length} of ${ids.length} ids done\n`);
  }
  out.stdout(`replayed ${replayed} dead letter${replayed === 1 ? '' : 's'}\n`);
  if (notFound.length === 0) return 0;
  out.stderr(`inflow: not dead letters (unknown or already replayed): ${notFound.join(', ')}\n`);
  return 1;
}
