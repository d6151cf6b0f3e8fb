/**
 * Explicit mappings. Free-form data (event properties and context, profile traits, session
 * context) is mapped as `flattened`: searchable by leaf value, one field in the mapping, so
 * arbitrary keys never hit the field limit. Anything not listed here stays in _source and is
 * not indexed (`dynamic: false`), which also protects the limit.
 */
const pageFields = {
  properties: {
    url: { type: 'keyword', ignore_above: 2048 },
    path: { type: 'keyword', ignore_above: 1024 },
    title: { type: 'keyword', ignore_above: 512 },
    referrer: { type: 'keyword', ignore_above: 2048 },
  },
} as const;

const freeForm = { type: 'flattened', ignore_above: 1024, depth_limit: 20 } as const;
/** Kept in _source for reading, never searched: not indexed at all (cheaper ingest). */
const storedOnly = { type: 'object', enabled: false } as const;

export const PROFILE_MAPPINGS = {
  dynamic: false,
  properties: {
    id: { type: 'keyword' },
    createdAt: { type: 'date' },
    updatedAt: { type: 'date' },
    firstVisitAt: { type: 'date' },
    lastVisitAt: { type: 'date' },
    visits: { type: 'integer' },
    eventCount: { type: 'long' },
    traits: freeForm,
    lastSourceId: { type: 'keyword' },
    recentEventIds: { type: 'keyword', index: false, doc_values: false },
    recentSessionIds: { type: 'keyword', index: false, doc_values: false },
    segments: { type: 'keyword' },
    recentRuleRuns: { type: 'keyword', index: false, doc_values: false },
    version: { type: 'long' },
  },
} as const;

export const SESSION_MAPPINGS = {
  dynamic: false,
  properties: {
    id: { type: 'keyword' },
    profileId: { type: 'keyword' },
    sourceId: { type: 'keyword' },
    startedAt: { type: 'date' },
    lastEventAt: { type: 'date' },
    eventCount: { type: 'integer' },
    userAgent: { type: 'keyword', ignore_above: 1024 },
    // ignore_above: a longer value is kept in _source but not indexed, where Elasticsearch would refuse the document (over 32,766 bytes).
    ip: { type: 'keyword', ignore_above: 256 },
    landingPage: pageFields,
    referrer: { type: 'keyword', ignore_above: 2048 },
    utm: freeForm,
    context: storedOnly,
    recentEventIds: { type: 'keyword', index: false, doc_values: false },
    version: { type: 'long' },
  },
} as const;

export const EVENT_MAPPINGS = {
  dynamic: false,
  properties: {
    id: { type: 'keyword' },
    type: { type: 'keyword' },
    time: { type: 'date' },
    receivedAt: { type: 'date' },
    sourceId: { type: 'keyword' },
    profileId: { type: 'keyword' },
    sessionId: { type: 'keyword' },
    requestId: { type: 'keyword' },
    properties: freeForm,
    context: storedOnly,
    page: pageFields,
    userAgent: { type: 'keyword', ignore_above: 1024 },
    async: { type: 'boolean' },
  },
} as const;

export const SOURCE_MAPPINGS = {
  dynamic: false,
  properties: {
    id: { type: 'keyword' },
    name: { type: 'keyword' },
    enabled: { type: 'boolean' },
    allowedOrigins: { type: 'keyword' },
    createdAt: { type: 'date' },
    updatedAt: { type: 'date' },
  },
} as const;
