import { array, object, optional, size, string } from 'superstruct';
import { validateJson } from '@inflow/protocol';
import { isQueueUnavailable, type Queue } from '@inflow/core';
import { errorReply, type HttpReply, json, type RouteHandler } from '@inflow/edge';
import { invalid, limitOf, readBody } from './request-input.js';

/** Ids one replay call may name; more are replayed in several calls (or all at once without ids). */
export const MAX_REPLAY_IDS = 1000;

const ReplaySelection = object({
  ids: optional(size(array(size(string(), 1, 512)), 1, MAX_REPLAY_IDS)),
});

/** GET /dead-letters?limit=: the kept letters with their ids, data as UTF-8 text. */
export function listDeadLetters(queue: Queue): RouteHandler {
  return async (request) => {
    const letters = await queue.deadLetters(limitOf(request));
    return json(200, {
      deadLetters: letters.map(({ data, ...letter }) => ({ ...letter, data: Buffer.from(data).toString('utf8') })),
    });
  };
}

/**
 * POST /dead-letters/replay with `{}` (every letter) or `{"ids": [...]}`: answers
 * `{ replayed, notFound }`; ids that are not dead letters are reported, not an error.
 */
export function replayDeadLetters(queue: Queue): RouteHandler {
  return async (request) => {
    const body = readBody(request);
    if (!body.ok) return body.reply;
    const [error, selection] = validateJson(body.value, ReplaySelection);
    if (error) {
      const path = error.path.join('.') || 'body';
      if (error.type === 'never') return invalid(path, 'unknown field (the body takes only "ids")');
      if (path === 'ids') return invalid(path, `must be a list of 1 to ${MAX_REPLAY_IDS} ids; leave it out to replay every dead letter`);
      return invalid(path, error.message);
    }
    try {
      return json(200, await queue.replayDeadLetters(selection.ids ? { ids: selection.ids } : {}));
    } catch (cause) {
      if (isQueueUnavailable(cause)) return unavailable(cause.message, cause.retryAfterSeconds);
      throw cause;
    }
  };
}

function unavailable(message: string, retryAfterSeconds: number): HttpReply {
  return errorReply(503, 'queue_unavailable', `dead letters not replayed: ${message}`, { headers: { 'retry-after': String(retryAfterSeconds) } });
}
