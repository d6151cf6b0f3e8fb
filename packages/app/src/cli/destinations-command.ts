import type { AttemptOutcome, DefinitionProblem, DestinationRecord } from '@inflow/workers';
import { definitionsCommand, idOf, pathOf, readJsonFile, type DefinitionArgs, type DefinitionsCli } from './definitions-command.js';
import type { Output } from './dead-letters-command.js';
import type { PrivateApiClient } from './private-api-client.js';
import { clip } from './table.js';

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

const stateOf = (d: View): string => (!d.enabled ? 'disabled' : d.paused ? 'paused' : 'active');

const DESTINATIONS: DefinitionsCli<View> = {
  noun: 'destination',
  plural: 'destinations',
  usage: DESTINATIONS_USAGE,
  systemFields: ['version', 'revision', 'paused', 'createdAt', 'updatedAt', 'warnings'],
  states: ['pause', 'resume'],
  describe: (d) => `${stateOf(d)}, version ${d.version}, revision ${d.revision}`,
  table: (destinations) => ({
    header: ['ID', 'STATE', 'WEBHOOK', 'EVENTS', 'REV', 'VER', 'WARNINGS'],
    rows: destinations.map((d) => [
      d.id,
      stateOf(d),
      `${d.webhook.method} ${clip(d.webhook.url, 48)}`,
      clip(d.trigger.eventTypes.join(',') || '*', 32),
      String(d.revision),
      String(d.version),
      d.warnings.length === 0 ? '-' : clip(d.warnings.map((w) => w.message).join('; '), 60),
    ]),
  }),
  extra: { test },
};

/** `inflow destinations ...` against the private API; resolves with the exit code. */
export const destinationsCommand = definitionsCommand(DESTINATIONS);

async function test(args: DefinitionArgs, api: PrivateApiClient, out: Output): Promise<number> {
  const id = idOf(args, DESTINATIONS, 'test');
  const sample = args.values.file === undefined ? {} : readJsonFile(args.values.file, DESTINATIONS, 'test');
  const answer = await api.call<TestAnswer>('POST', `${pathOf(DESTINATIONS, id)}/test`, sample);
  const delivered = answer.outcome.kind === 'answer' && answer.outcome.status >= 200 && answer.outcome.status < 300;
  if (args.values.json) {
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
