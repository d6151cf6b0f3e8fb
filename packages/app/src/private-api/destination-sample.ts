import { randomUUID } from 'node:crypto';
import { boolean, integer, min, object, optional, record, size, string, unknown, type Infer } from 'superstruct';
import { validateJson } from '@inflow/protocol';
import type { JsonObject } from '@inflow/protocol';
import { structProblem } from '@inflow/core';
import type { DefinitionProblem, DestinationSpec, Subject } from '@inflow/workers';

const text = optional(size(string(), 0, 2_048));
const count = optional(min(integer(), 0));
const free = optional(record(string(), unknown()));

/** What `POST /destinations/{id}/test` may set of the sample: any field of the three records, nothing else. */
const SampleParts = object({
  event: optional(
    object({
      id: optional(size(string(), 1, 128)),
      type: optional(size(string(), 1, 128)),
      time: text,
      receivedAt: text,
      sourceId: text,
      profileId: text,
      sessionId: text,
      requestId: text,
      properties: free,
      context: free,
      page: optional(object({ url: text, path: text, title: text, referrer: text })),
      userAgent: text,
      async: optional(boolean()),
    }),
  ),
  profile: optional(
    object({
      id: text,
      createdAt: text,
      updatedAt: text,
      firstVisitAt: text,
      lastVisitAt: text,
      visits: count,
      eventCount: count,
      traits: free,
      lastSourceId: text,
      version: count,
    }),
  ),
  session: optional(
    object({
      id: text,
      profileId: text,
      sourceId: text,
      startedAt: text,
      lastEventAt: text,
      eventCount: count,
      userAgent: text,
      ip: text,
      landingPage: optional(object({ url: text, path: text, title: text, referrer: text })),
      referrer: text,
      utm: optional(record(string(), string())),
      context: free,
      version: count,
    }),
  ),
});

export type SampleParts = Infer<typeof SampleParts>;

/** Checks the test call's body: `{event, profile, session}`, each optional and partial. */
export function checkSampleParts(input: unknown): { ok: true; parts: SampleParts } | { ok: false; problem: DefinitionProblem } {
  const [error, parts] = validateJson(input, SampleParts);
  return error ? { ok: false, problem: structProblem(error) } : { ok: true, parts };
}

/**
 * The event a test call renders: a built-in sample fitting the destination's trigger (its first
 * event type and source), with the caller's parts over it. Without an `event.id` each call gets
 * a new one, so a receiver that honours the Idempotency-Key takes every test.
 */
export function sampleSubject(spec: DestinationSpec, parts: SampleParts, now: Date = new Date()): Subject {
  const at = now.toISOString();
  const sourceId = parts.event?.sourceId ?? spec.trigger.sources[0] ?? 'test';
  const profileId = parts.profile?.id ?? parts.event?.profileId ?? 'test-profile';
  const sessionId = parts.session?.id ?? parts.event?.sessionId ?? 'test-session';
  const profile = {
    id: profileId,
    createdAt: at,
    updatedAt: at,
    firstVisitAt: at,
    lastVisitAt: at,
    visits: 1,
    eventCount: 1,
    lastSourceId: sourceId,
    version: 1,
    ...parts.profile,
    traits: (parts.profile?.traits ?? {}) as JsonObject,
    recentEventIds: [],
  };
  const { landingPage, ...session } = {
    profileId,
    sourceId,
    startedAt: at,
    lastEventAt: at,
    eventCount: 1,
    version: 1,
    ...parts.session,
    id: sessionId,
  };
  const { page, ...event } = {
    type: spec.trigger.eventTypes[0] ?? 'test',
    time: at,
    receivedAt: at,
    sourceId,
    profileId,
    sessionId,
    requestId: 'test-request',
    async: false,
    ...parts.event,
    id: parts.event?.id ?? `test-${randomUUID()}`,
  };
  return {
    event: { ...event, properties: (parts.event?.properties ?? {}) as JsonObject, context: (parts.event?.context ?? {}) as JsonObject, ...(page ? { page } : {}) },
    profile,
    session: { ...session, context: (parts.session?.context ?? {}) as JsonObject, ...(landingPage ? { landingPage } : {}) },
  };
}
