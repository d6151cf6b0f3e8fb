import type { EventRecord, RecordStore, TraceEntry, TraceStore } from '@inflow/core';
import { errorReply, type HttpReply, json, type Router } from '@inflow/edge';
import { limitOf } from './request-input.js';
import { unavailable } from './unavailable.js';

export interface TraceRoutesDeps {
  trace: TraceStore;
  /** An event whose trace is gone is still told apart from one never seen. */
  store: RecordStore;
  /** How long entries are kept (traceTtlSeconds), said in a 404. */
  ttlSeconds: number;
}

/** An entry as the API answers it: the time as an ISO date-time. */
type TraceView = Omit<TraceEntry, 'at'> & { at: string };

/**
 * GET /events/{id}/trace, /requests/{id}/trace and /profiles/{id}/trace?limit=N: the entries
 * oldest first, or 404 when nothing is known. An event with no entries left (kept
 * traceTtlSeconds) but in the store answers one entry made from its record, `stage: stored`,
 * `role: store`, `detail.synthetic: true`, timed when the edge received it: "stored" is
 * what the store can prove, and the answer says where it came from.
 */
export function withTraceRoutes(router: Router, deps: TraceRoutesDeps): Router {
  const { trace, store, ttlSeconds } = deps;
  const missing = (what: string): HttpReply =>
    errorReply(404, 'not_found', `no trace of ${what}: never seen, or its entries are gone (traces are kept for traceTtlSeconds, ${ttlSeconds} s)`);
  return router
    .on('GET', '/events/:id/trace', async (_, { id = '' }) => {
      const entries = await readTrace(() => trace.byEvent(id));
      if (!Array.isArray(entries)) return entries;
      if (entries.length > 0) return answer(entries);
      const record = await store.getEvent(id);
      return record ? answer([fromRecord(record, ttlSeconds)]) : missing(`event "${id}" (and the store does not have it)`);
    })
    .on('GET', '/requests/:id/trace', async (_, { id = '' }) => {
      const entries = await readTrace(() => trace.byRequest(id));
      if (!Array.isArray(entries)) return entries;
      return entries.length > 0 ? answer(entries) : missing(`request "${id}"`);
    })
    .on('GET', '/profiles/:id/trace', async (request, { id = '' }) => {
      const entries = await readTrace(() => trace.byProfile(id, limitOf(request)));
      if (!Array.isArray(entries)) return entries;
      return entries.length > 0 ? answer(entries) : missing(`profile "${id}" (its records: GET /profiles/${encodeURIComponent(id)})`);
    });
}

/** The trace's entries, or a 503 when its store (Redis) cannot be reached now. */
async function readTrace(read: () => Promise<TraceEntry[]>): Promise<TraceEntry[] | HttpReply> {
  try {
    return await read();
  } catch (error) {
    return unavailable('the trace', error);
  }
}

function answer(entries: readonly TraceEntry[]): HttpReply {
  return json(200, { entries: entries.map((entry): TraceView => ({ ...entry, at: new Date(entry.at).toISOString() })) });
}

function fromRecord(record: EventRecord, ttlSeconds: number): TraceEntry {
  return {
    at: Date.parse(record.receivedAt),
    stage: 'stored',
    role: 'store',
    requestId: record.requestId,
    profileId: record.profileId,
    eventIds: [record.id],
    detail: {
      synthetic: true,
      note: `no trace entries left (kept ${ttlSeconds} s): made from the stored event, timed when the edge received it`,
      type: record.type,
      sessionId: record.sessionId,
    },
  };
}
