import { parseArgs } from 'node:util';
import type { TraceEntry } from '@inflow/core';
import type { Config } from '../config/config.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../private-api/request-input.js';
import type { Output } from './dead-letters-command.js';
import { CliError, isCliError, privateApiClient } from './private-api-client.js';
import { clip, formatTable } from './table.js';

export const TRACE_USAGE = `  trace EVENT_ID | --request ID | --profile ID [--limit N] [--json]
               where an event, a request or a profile's newest events have been, stage by stage
               (N: 1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}; entries are kept traceTtlSeconds)`;

/** An entry as the private API answers it. */
export type TraceView = Omit<TraceEntry, 'at'> & { at: string };

type Subject = { kind: 'event' | 'request' | 'profile'; id: string; path: string };

/** `inflow trace ...` against the private API: a timeline; resolves with the exit code. */
export async function traceCommand(args: string[], config: Config, out: Output): Promise<number> {
  try {
    const { values, positionals } = parse(args);
    const subject = subjectOf(values, positionals);
    const api = privateApiClient(config);
    const { entries } = await api.call<{ entries: TraceView[] }>('GET', subject.path);
    if (values.json) {
      out.stdout(JSON.stringify(entries, null, 2) + '\n');
      return 0;
    }
    out.stdout(`${subject.kind} ${subject.id}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}\n`);
    out.stdout(formatTimeline(entries, subject.kind));
    return 0;
  } catch (error) {
    if (!isCliError(error)) throw error;
    out.stderr(`inflow: ${error.message}\n`);
    return error.exitCode;
  }
}

/** Time, milliseconds since the first entry, role, stage and the facts worth a glance. */
export function formatTimeline(entries: readonly TraceView[], kind: Subject['kind']): string {
  const first = entries.length > 0 ? Date.parse(entries[0]?.at ?? '') : 0;
  const rows = entries.map((entry) => [entry.at, `+${Date.parse(entry.at) - first}`, entry.role, entry.stage, clip(facts(entry, kind), 100)]);
  return formatTable(['TIME', '+MS', 'ROLE', 'STAGE', 'FACTS'], rows);
}

function facts(entry: TraceView, kind: Subject['kind']): string {
  const parts: string[] = [];
  if (entry.detail?.['synthetic'] === true) parts.push('from the stored event (no trace entries left)');
  if (kind !== 'request' && entry.requestId) parts.push(`request ${entry.requestId}`);
  if (kind !== 'profile' && entry.profileId) parts.push(`profile ${entry.profileId}`);
  const events = entry.eventIds ?? [];
  if (kind !== 'event' && events.length > 0) parts.push(events.length === 1 ? `event ${events[0]}` : `${events.length} events`);
  for (const [key, value] of Object.entries(entry.detail ?? {})) {
    if (key === 'synthetic' || key === 'note') continue;
    parts.push(`${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return parts.join(', ') || '-';
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { request: { type: 'string' }, profile: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (error) {
    throw new CliError(`trace: ${(error as Error).message}\n\n${TRACE_USAGE}`, 2, { cause: error });
  }
}

function subjectOf(values: ReturnType<typeof parse>['values'], positionals: string[]): Subject {
  const given = [positionals.length > 0, values.request !== undefined, values.profile !== undefined].filter(Boolean).length;
  if (given !== 1 || positionals.length > 1) throw new CliError(`trace needs one event id, or --request ID, or --profile ID\n\n${TRACE_USAGE}`, 2);
  if (values.limit !== undefined && values.profile === undefined) throw new CliError('--limit goes with --profile only', 2);
  if (values.profile !== undefined) {
    const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new CliError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got "${values.limit}")`, 2);
    return { kind: 'profile', id: values.profile, path: `/profiles/${encodeURIComponent(values.profile)}/trace?limit=${limit}` };
  }
  if (values.request !== undefined) return { kind: 'request', id: values.request, path: `/requests/${encodeURIComponent(values.request)}/trace` };
  const id = positionals[0] ?? '';
  return { kind: 'event', id, path: `/events/${encodeURIComponent(id)}/trace` };
}
