import { checkTrackEvent, checkTrackPayload, checkTrackPayloadHead } from './check-track-payload.js';
import { checkEventContent, checkPayloadContent, checkRequestContent, type ContentOptions } from './payload-content.js';
import { isSafeName, MAX_ID_LENGTH } from './track-rules.js';
import type { RejectedEvent, TrackEvent, TrackPayload } from './types.js';

/** A problem with the request as a whole: nothing of it can be accepted. */
export interface RequestProblem {
  code: 'invalid_payload' | 'event_too_large' | 'too_deep';
  path: string;
  message: string;
}

export type TrackRequestCheck =
  /** `payload.events` holds only the accepted events; `rejected` is empty when every event was accepted. */
  | { ok: true; payload: TrackPayload; rejected: readonly RejectedEvent[] }
  /** The request is refused: a request-level problem, or every event was refused (then `rejected` lists each). */
  | { ok: false; problem: RequestProblem; rejected: readonly RejectedEvent[] };

const NONE: readonly RejectedEvent[] = Object.freeze([]);

/**
 * Checks a parsed /track body: the schema and the content of the request and of each event.
 * A problem of the request itself (source, profile, session, its context or properties, the
 * shape of `events`) refuses it; a problem of one event refuses only that event, and the
 * others are accepted. The common case, every event valid, costs one pass of the compiled
 * check and one content walk, as before; only a body with a problem is checked event by event.
 */
export function checkTrackRequest(value: unknown, options: ContentOptions = {}): TrackRequestCheck {
  const schema = checkTrackPayload(value);
  if (schema.ok) {
    const content = checkPayloadContent(schema.value, options);
    if (content.ok) return { ok: true, payload: schema.value, rejected: NONE };
    if (!isEventPath(content.path)) return refused(content);
  } else if (!isEventPath(schema.path)) {
    return refused({ code: 'invalid_payload', path: schema.path, message: `${schema.path} ${schema.message}` });
  }
  return checkEventByEvent(value, options);
}

/** The slow path: the request's head first, then each event on its own. */
function checkEventByEvent(value: unknown, options: ContentOptions): TrackRequestCheck {
  const head = checkTrackPayloadHead(value);
  if (!head.ok) return refused({ code: 'invalid_payload', path: head.path, message: `${head.path} ${head.message}` });
  const payload = head.value;
  const request = checkRequestContent(payload, options.maxEventBytes, options.maxDepth);
  if (!request.ok) return refused(request);

  const accepted: TrackEvent[] = [];
  const rejected: RejectedEvent[] = [];
  payload.events.forEach((event: unknown, index) => {
    const schema = checkTrackEvent(event, index);
    const problem = schema.ok
      ? checkEventContent(event as object, index, request, options.maxEventBytes, options.maxDepth)
      : { code: 'invalid_payload' as const, path: schema.path, message: `${schema.path} ${schema.message}` };
    if (!problem) accepted.push(event as TrackEvent);
    else rejected.push(rejection(index, event, problem));
  });
  if (accepted.length === 0 && rejected.length > 0) {
    const first = rejected[0] as RejectedEvent;
    return { ok: false, problem: { code: first.code as RequestProblem['code'], path: first.path ?? 'events', message: first.message }, rejected };
  }
  return { ok: true, payload: { ...payload, events: accepted }, rejected };
}

function rejection(index: number, event: unknown, problem: RequestProblem): RejectedEvent {
  const id = usableId(event);
  const entry: RejectedEvent = { index, code: problem.code, message: problem.message, path: problem.path };
  return id === undefined ? entry : { index, id, code: problem.code, message: problem.message, path: problem.path };
}

/** The event's id when it is one the edge would accept: a client can match the rejection to its event. */
function usableId(event: unknown): string | undefined {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && isSafeName(id) ? id : undefined;
}

/** `events.<n>` or below: a problem of one event. */
function isEventPath(path: string): boolean {
  return path.startsWith('events.');
}

function refused(problem: RequestProblem): TrackRequestCheck {
  return { ok: false, problem: { code: problem.code, path: problem.path, message: problem.message }, rejected: NONE };
}
