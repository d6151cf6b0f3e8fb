import { closed, count, dateTime, freeForm, listOf, open, ref, sharedSchemas, text } from './document-parts.js';
import type { SchemaObject } from './openapi-types.js';

/**
 * The private API's bodies. Records read from the store (profiles, sessions, events) are open:
 * the store may keep fields the API does not promise. What the API builds itself is closed.
 * Sources: packages/core/src/records/records.ts, packages/core/src/ports/queue.ts,
 * packages/workers/src/dispatch/destination.ts, packages/workers/src/workflow/rule.ts,
 * packages/app/src/private-api/*.
 */

/** Destination, rule, source and segment ids: 1–64 of a-z, 0-9, _ and -, starting with a letter or digit. */
const name: SchemaObject = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' };
const SCHEDULE_MAX_DELAY_MS = 90 * 24 * 3_600_000;

const numbers = (description?: string): SchemaObject => ({ type: 'object', additionalProperties: { type: 'number' }, ...(description ? { description } : {}) });
/** received = the outcomes + deadLettered + retried + pending, when `balanced`. */
const stageBalance = (outcomes: string[]): SchemaObject =>
  closed({
    received: count(),
    ...Object.fromEntries(outcomes.map((outcome) => [outcome, count()])),
    deadLettered: count(),
    retried: count(),
    pending: { type: 'number', minimum: 0 },
    balanced: { type: 'boolean' },
  });

const destinationFields: Record<string, SchemaObject> = {
  id: name,
  name: { type: 'string', maxLength: 200, default: '' },
  enabled: { type: 'boolean', default: true, description: 'false: no new events are queued for it.' },
  webhook: closed(
    {
      url: { type: 'string', format: 'uri', description: 'An absolute http or https URL.' },
      method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'], default: 'POST' },
      headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 }, default: {} },
      secretHeaders: { type: 'object', additionalProperties: name, default: {}, description: 'Header → secret name; the value comes from INFLOW_SECRET_<NAME>.' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 60_000, default: 10_000 },
    },
    ['url'],
  ),
  trigger: closed(
    {
      eventTypes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 100, default: [], description: 'Empty: every type.' },
      sources: { type: 'array', items: name, maxItems: 100, default: [], description: 'Empty: every source.' },
      condition: ref('Condition'),
    },
    [],
  ),
  mapping: { description: 'The outgoing body as JSON where a string is a template (`{{event.properties.sku}}`); absent: ids and data of event, profile and session.' },
  delivery: closed(
    {
      minAttempts: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
      maxAgeMs: { type: 'integer', minimum: 0, maximum: 30 * 24 * 3_600_000, default: 24 * 3_600_000 },
      concurrency: { type: 'integer', minimum: 1, maximum: 256, default: 8 },
    },
    [],
  ),
};

const trait: SchemaObject = { type: 'string', minLength: 1, maxLength: 256, not: { const: '__proto__' }, pattern: '^[^.]*$' };
const action = (type: string, properties: Record<string, SchemaObject>, required: string[]): SchemaObject =>
  closed({ type: { type: 'string', const: type }, ...properties }, ['type', ...required]);

const ruleFields: Record<string, SchemaObject> = {
  id: name,
  name: { type: 'string', maxLength: 200, default: '' },
  enabled: { type: 'boolean', default: true },
  trigger: closed(
    {
      eventTypes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 100, default: [] },
      sources: { type: 'array', items: name, maxItems: 100, default: [] },
    },
    [],
  ),
  condition: ref('Condition'),
  actions: { type: 'array', items: ref('RuleAction'), minItems: 1, maxItems: 50, description: 'Run in order on the event\'s profile.' },
  maxDepth: { type: 'integer', minimum: 0, maximum: 10, description: 'How deep a chain of emitted events the rule still runs on; required when it emits a type its own trigger takes.' },
};

export const privateSchemas: Record<string, SchemaObject> = {
  ...sharedSchemas,
  Source: closed(
    {
      id: text(),
      name: text(),
      enabled: { type: 'boolean' },
      allowedOrigins: listOf({ type: 'string' }, 'Origins allowed to post from a browser; `*` allows any.'),
      createdAt: dateTime(),
      updatedAt: dateTime(),
    },
    ['id', 'name', 'enabled', 'allowedOrigins', 'createdAt', 'updatedAt'],
  ),
  SourceFields: closed(
    {
      id: { type: 'string', minLength: 1, maxLength: 128, description: "On a change, the path's id or nothing (an id cannot change)." },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      enabled: { type: 'boolean' },
      allowedOrigins: listOf(
        { type: 'string', minLength: 1, maxLength: 500 },
        'Origins as browsers send them, `scheme://host[:port]` in lower case without a path, or `*` for any; others are refused (400).',
      ),
    },
    [],
  ),
  NewSource: {
    allOf: [{ type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['id'] }, ref('SourceFields')],
    description: 'The id, and the fields of SourceFields (name defaults to the id, allowedOrigins to ["*"]).',
  },
  PageContext: open({ url: text(), path: text(), title: text(), referrer: text() }, []),
  Profile: open(
    {
      id: text(),
      createdAt: dateTime(),
      updatedAt: dateTime(),
      firstVisitAt: dateTime(),
      lastVisitAt: dateTime(),
      visits: count('Sessions seen.'),
      eventCount: count(),
      traits: freeForm(),
      lastSourceId: text(),
      recentEventIds: listOf({ type: 'string' }, 'Internal: marks of the events counted last.'),
      recentSessionIds: listOf({ type: 'string' }),
      segments: listOf({ type: 'string' }, 'Segment tags rules added.'),
      recentRuleRuns: listOf({ type: 'string' }),
      version: { type: 'integer', minimum: 1 },
      collectorWrites: { type: 'integer', minimum: 0, description: 'Internal: the collector writes of the profile so far (what events are stamped with).' },
    },
    ['id', 'createdAt', 'updatedAt', 'firstVisitAt', 'lastVisitAt', 'visits', 'eventCount', 'traits', 'lastSourceId', 'version'],
  ),
  Session: open(
    {
      id: text(),
      profileId: text(),
      sourceId: text(),
      startedAt: dateTime(),
      lastEventAt: dateTime(),
      eventCount: count(),
      userAgent: text(),
      ip: text(),
      landingPage: ref('PageContext'),
      referrer: text(),
      utm: { type: 'object', additionalProperties: { type: 'string' } },
      context: freeForm(),
      recentEventIds: listOf({ type: 'string' }),
      profileWrites: closed(
        {
          last: listOf({ type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer', minimum: 1 }] }, minItems: 2, maxItems: 2 }, "[profile id, the newest of its collector writes that wrote this session], the profile seen longest ago first."),
          complete: { type: 'boolean', description: 'Whether `last` names every profile that ever wrote this session.' },
        },
        ['last', 'complete'],
        'Internal: which collector writes of its profiles wrote this session too.',
      ),
      version: { type: 'integer', minimum: 1 },
    },
    ['id', 'profileId', 'sourceId', 'startedAt', 'lastEventAt', 'eventCount', 'context', 'version'],
  ),
  Event: open(
    {
      id: text(),
      type: text(),
      time: dateTime(),
      clientTime: dateTime("The event's own time by the client's clock, when the request's sentAt corrected it (time is then this plus received − sentAt)."),
      receivedAt: dateTime(),
      sourceId: text(),
      profileId: text(),
      sessionId: text(),
      requestId: text('The request (envelope) that brought it: GET /requests/{id}/trace.'),
      properties: freeForm(),
      context: freeForm(),
      page: ref('PageContext'),
      userAgent: text(),
      async: { type: 'boolean' },
      countedIn: closed({ profile: { type: 'integer', minimum: 1 } }, ['profile'], "Internal: the profile write that counts the event (the profile's collectorWrites after it)."),
    },
    ['id', 'type', 'time', 'receivedAt', 'sourceId', 'profileId', 'sessionId', 'requestId', 'properties', 'context', 'async'],
  ),
  Sessions: closed({ sessions: listOf(ref('Session'), 'Newest first.') }),
  Events: closed({ events: listOf(ref('Event'), 'Newest first.') }),
  Sources: closed({ sources: listOf(ref('Source')) }),
  TopicBacklog: closed({
    total: count(),
    backlog: listOf(closed({ partition: text(), subscription: text(), count: count() })),
  }),
  DeadLetter: closed({
    id: text('Stable while kept, URL-safe: what a replay selects by.'),
    topic: text('`namespace/name`: where it came from and where a replay sends it.'),
    subscription: text(),
    key: text(),
    data: text('The message as UTF-8 text.'),
    reason: text(),
    failedAt: dateTime(),
    redeliveryCount: count(),
  }),
  DeadLetters: closed({ deadLetters: listOf(ref('DeadLetter')) }),
  ReplaySelection: closed({ ids: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 512 }, minItems: 1, maxItems: 1000 } }, [], '`{}` replays every dead letter.'),
  DeadLetterReplay: closed({ replayed: count(), notFound: listOf({ type: 'string' }, 'Ids that are not (or no longer) dead letters.') }),
  Warning: closed({ path: text(), message: text() }, ['path', 'message'], 'What keeps a definition from working as meant (a secret not configured, a destination that does not exist).'),
  Condition: {
    description: 'Comparisons on event, profile and session fields, combined with all / any / not.',
    anyOf: [
      closed({ all: { type: 'array', items: ref('Condition'), minItems: 1 } }),
      closed({ any: { type: 'array', items: ref('Condition'), minItems: 1 } }),
      closed({ not: ref('Condition') }),
      closed(
        {
          field: text('e.g. `event.properties.sku`, `profile.traits.purchases`'),
          op: { type: 'string', enum: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'startsWith', 'endsWith', 'exists', 'missing'] },
          value: { description: 'Absent for exists / missing; a list for in.' },
        },
        ['field', 'op'],
      ),
    ],
  },
  DestinationInput: closed(destinationFields, ['id', 'webhook', 'trigger'], 'A destination as written; defaults are filled in. On PUT the id may be left out.'),
  Destination: closed(
    {
      ...destinationFields,
      version: { type: 'integer', minimum: 1, description: 'Grows on every write; the ETag.' },
      revision: { type: 'integer', minimum: 1, description: 'Grows when what is sent changes; part of the Idempotency-Key.' },
      paused: { type: 'boolean' },
      createdAt: dateTime(),
      updatedAt: dateTime(),
      warnings: listOf(ref('Warning')),
    },
    ['id', 'name', 'enabled', 'webhook', 'trigger', 'delivery', 'version', 'revision', 'paused', 'createdAt', 'updatedAt', 'warnings'],
  ),
  Destinations: closed({ destinations: listOf(ref('Destination')) }),
  DestinationTest: closed(
    { event: freeForm('Any field of an event record.'), profile: freeForm('Any field of a profile record.'), session: freeForm('Any field of a session record.') },
    [],
    'Parts of the sample over a built-in one; each call is a new event unless `event.id` is given.',
  ),
  DestinationTestAnswer: closed({
    request: closed({
      method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'] },
      url: text(),
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Secret values shown as `***`.' },
      body: { description: 'The rendered mapping.' },
    }),
    outcome: {
      anyOf: [
        closed({ kind: { type: 'string', const: 'answer' }, status: { type: 'integer' }, retryAfterSeconds: { type: 'number' }, body: text() }, ['kind', 'status']),
        closed({ kind: { type: 'string', const: 'network' }, message: text() }),
        closed({ kind: { type: 'string', const: 'timeout' }, afterMs: { type: 'number' } }),
      ],
    },
  }),
  RuleAction: {
    oneOf: [
      action('set-trait', { trait, value: { description: 'A constant or a mapping template.' } }, ['trait']),
      action('unset-trait', { trait }, ['trait']),
      action('increment', { trait, by: { type: 'number', default: 1 } }, ['trait']),
      action('add-segment', { segment: name }, ['segment']),
      action('remove-segment', { segment: name }, ['segment']),
      action('emit', { event: closed({ type: { type: 'string', minLength: 1, maxLength: 128 }, properties: {} }, ['type']) }, ['event']),
      action('dispatch', { destination: name }, ['destination']),
      action('delay', { ms: { type: 'integer', minimum: 1, maximum: SCHEDULE_MAX_DELAY_MS }, cancelIf: ref('Condition') }, ['ms']),
    ],
  },
  RuleInput: closed(ruleFields, ['id', 'trigger', 'actions'], 'A rule as written; defaults are filled in. On PUT the id may be left out.'),
  Rule: closed(
    { ...ruleFields, version: { type: 'integer', minimum: 1 }, createdAt: dateTime(), updatedAt: dateTime(), warnings: listOf(ref('Warning')) },
    ['id', 'name', 'enabled', 'trigger', 'actions', 'version', 'createdAt', 'updatedAt', 'warnings'],
  ),
  Rules: closed({ rules: listOf(ref('Rule')) }),
  Schedule: closed(
    {
      id: text(),
      dueAt: dateTime(),
      profileId: text(),
      rule: text(),
      event: closed({ id: text(), type: text() }, []),
      resumesAfterAction: { type: 'integer', minimum: 0, description: 'The index of the delay action the run resumes after.' },
      leasedUntil: { type: ['string', 'null'], format: 'date-time', description: 'null: not leased to a worker.' },
    },
    ['id', 'dueAt', 'profileId', 'event', 'leasedUntil'],
    'A delayed rule run waiting in the schedule.',
  ),
  Schedules: closed({ schedules: listOf(ref('Schedule'), 'Soonest first.') }),
  TraceEntry: closed(
    {
      at: dateTime(),
      stage: { type: 'string', enum: ['edge', 'queued', 'stored', 'deduplicated', 'dead-lettered', 'routed', 'delivered', 'delivery-failed', 'rule'] },
      role: text('The role that recorded it (edge, collector, workflow, dispatch; `store` on an entry made from the stored event).'),
      requestId: text(),
      profileId: text(),
      eventIds: listOf({ type: 'string' }, 'The events the entry is about; under /events/{id}/trace, that event only.'),
      detail: freeForm(
        'Small facts (topic, lane, destination, status, reason, rule). `synthetic: true`: /events/{id}/trace found no entry left but the event in the store, and made this one from it.',
      ),
    },
    ['at', 'stage', 'role'],
  ),
  Trace: closed({ entries: listOf(ref('TraceEntry'), 'Oldest first.') }),
  Stats: closed({
    at: dateTime(),
    intervalMs: count('How often each instance publishes, and the series is read.'),
    instances: listOf(closed({ instance: text(), role: text(), at: dateTime('Its latest snapshot.') }), 'Those that published within the last three intervals.'),
    counters: numbers('Cumulative, summed over the live instances: collector.events.stored, destination.<id>.delivered…'),
    gauges: numbers('Now: `*.pending` summed over the instances, anything else (latencies) the highest.'),
    balance: closed({
      collector: stageBalance(['stored', 'deduplicated']),
      dispatch: stageBalance(['delivered']),
      destinations: { type: 'object', additionalProperties: stageBalance(['delivered']), description: 'By destination id.' },
      workflow: stageBalance(['done']),
    }),
    series: listOf(closed({ at: dateTime(), rates: numbers('Per second since the reading before, by counter.'), gauges: numbers() }), 'The last 15 minutes, oldest first.'),
  }),
  Backlogs: closed({
    topics: listOf(
      closed({
        topic: text('`namespace/name`.'),
        total: count(),
        backlog: listOf(closed({ partition: text(), subscription: text(), count: count() })),
        deadLetters: count('Dead letters kept for the topic.'),
      }),
      'Every topic the queue knows, by name.',
    ),
  }),
  OpenApiDocument: {
    type: 'object',
    properties: { openapi: { type: 'string', pattern: '^3\\.1\\.' }, info: { type: 'object' }, paths: { type: 'object' } },
    required: ['openapi', 'info', 'paths'],
    description: 'An OpenAPI 3.1 document.',
  },
};
