import { closed, count, dateTime, freeForm, listOf, open, ref, sharedSchemas, text } from './document-parts.js';
import type { SchemaObject } from './openapi-types.js';

/**
 * The public API's bodies: the /track contract (packages/protocol/src/types.ts, track-schema.ts),
 * Segment's messages and answers (packages/edge/src/segment), the demo profile.
 */

const MAX_ID = 128;
const id = (description?: string): SchemaObject => ({ type: 'string', minLength: 1, maxLength: MAX_ID, ...(description ? { description } : {}) });

export const publicSchemas: Record<string, SchemaObject> = {
  ...sharedSchemas,
  EntityRef: { type: 'object', properties: { id: id() }, required: ['id'] },
  EventTime: {
    description: 'An ISO-8601 string or epoch milliseconds (a number below 10^11 either way is seconds), or Tracardi\'s `{"create": <either>}`, in the years 0000 to 9999.',
    anyOf: [{ type: 'string', maxLength: 64 }, { type: 'number' }, { type: 'object', properties: { create: { type: ['string', 'number'] } }, required: ['create'] }],
  },
  TrackEvent: {
    type: 'object',
    description: 'Unknown keys are ignored. A problem of one event refuses only that event (`rejected` in the answer).',
    properties: {
      id: id('Chosen by the client; the edge assigns one when absent. The collector stores an id once.'),
      type: id('The event type: 1 to 128 characters, no control characters.'),
      properties: freeForm(),
      time: ref('EventTime'),
      context: freeForm('Merged over the request\'s `context`.'),
      options: { type: 'object', properties: { async: { type: 'boolean' } } },
    },
    required: ['type'],
  },
  TrackRequest: {
    type: 'object',
    description:
      'The Tracardi tracker payload. Unknown keys are ignored. At most INFLOW_MAX_EVENTS events (100; it may be set up to 128), each at most INFLOW_MAX_EVENT_BYTES (64 KiB); nesting at most 16 levels.',
    properties: {
      source: ref('EntityRef'),
      profile: { anyOf: [ref('EntityRef'), { type: 'null' }] },
      session: { anyOf: [ref('EntityRef'), { type: 'null' }] },
      events: listOf(ref('TrackEvent')),
      context: freeForm('The page context (page, UTM, screen…), merged into each event\'s context.'),
      properties: freeForm(),
      options: { type: 'object', properties: { queue: { type: 'boolean', description: 'true: answer 201 once the queue has the request.' } } },
      sentAt: {
        description:
          'When the client sent this attempt, by its own clock: an ISO-8601 string or epoch milliseconds (seconds below 10^11), in the years 0000 to 9999. With it the events\' own times are stored corrected for the client\'s clock (time + received − sentAt), as Segment does. The tracker sends it.',
        anyOf: [{ type: 'string', maxLength: 64 }, { type: 'number' }],
      },
    },
    required: ['source', 'events'],
  },
  AnsweredRef: {
    type: 'object',
    description: 'A profile or session as the request named it (a queued answer echoes the request\'s object, unknown keys included).',
    properties: { id: { type: 'string', minLength: 1 } },
    required: ['id'],
  },
  TrackProcessed: closed(
    {
      queued: { type: 'boolean', const: false },
      profile: ref('AnsweredRef'),
      session: ref('AnsweredRef'),
      events: listOf({ type: 'string' }, 'Ids of the accepted events, in request order.'),
      rejected: listOf(ref('RejectedEvent'), 'Events refused alone; absent when every event was accepted.'),
    },
    ['queued', 'profile', 'session', 'events'],
    'Processed in place: stored before this answer.',
  ),
  TrackQueued: closed(
    {
      queued: { type: 'boolean', const: true },
      profile: {
        anyOf: [ref('AnsweredRef'), { type: 'null' }],
        description: 'null when the request named a session but no profile: the collector resolves it.',
      },
      session: ref('AnsweredRef'),
      events: listOf({ type: 'string' }),
      rejected: listOf(ref('RejectedEvent')),
    },
    ['queued', 'profile', 'session', 'events'],
    'Queued (`options.queue`): the broker confirmed the batch holding the request.',
  ),
  Readiness: closed({ status: { type: 'string', enum: ['ready', 'not ready'] } }),
  SegmentId: { type: ['string', 'number'], description: 'A non-empty string (or a number) of at most 128 characters; an empty string counts as absent.' },
  SegmentTime: { type: ['string', 'number'], description: 'ISO-8601 (or epoch milliseconds; seconds below 10^11), client clock.' },
  SegmentMessage: {
    type: 'object',
    description:
      'One Segment call. Needs `userId` or `anonymousId`; track needs `event`, group `groupId`, alias `previousId` and `userId`. At most 32 KB. Unknown keys are ignored.',
    properties: {
      type: { type: 'string', enum: ['track', 'identify', 'page', 'screen', 'group', 'alias'], description: 'Required in a batch; the path decides otherwise.' },
      userId: ref('SegmentId'),
      anonymousId: ref('SegmentId'),
      messageId: ref('SegmentId'),
      groupId: ref('SegmentId'),
      previousId: ref('SegmentId'),
      event: { type: ['string', 'null'] },
      name: { type: ['string', 'null'] },
      category: { type: ['string', 'null'] },
      properties: { type: ['object', 'null'] },
      traits: { type: ['object', 'null'] },
      context: { type: ['object', 'null'] },
      timestamp: ref('SegmentTime'),
      originalTimestamp: ref('SegmentTime'),
      sentAt: ref('SegmentTime'),
      writeKey: { type: 'string', description: 'The write key, when not sent as HTTP Basic auth.' },
    },
  },
  SegmentBatch: {
    type: 'object',
    description: 'At most INFLOW_MAX_BODY_BYTES, sent or after decompression (1,000,000 bytes by default; Segment\'s is 500 KB, RudderStack\'s 4 MB): a larger body gets 413.',
    properties: {
      batch: listOf({ allOf: [ref('SegmentMessage'), { required: ['type'] }] }),
      context: { type: 'object', description: 'Merged under each message\'s context.' },
      sentAt: ref('SegmentTime'),
      writeKey: { type: 'string' },
    },
    required: ['batch'],
  },
  SegmentSuccess: closed(
    {
      success: { type: 'boolean', const: true },
      rejected: listOf(
        closed({
          index: { type: 'integer', minimum: 0, description: 'The message\'s index in `batch`.' },
          code: { type: 'string', enum: ['invalid_message', 'message_too_large', 'too_deep'] },
          message: text(),
          path: text('e.g. `batch.3.event`'),
        }),
        'Messages of a batch refused alone (the others are queued); absent when every message was taken.',
      ),
    },
    ['success'],
  ),
  SegmentError: closed(
    {
      success: { type: 'boolean', const: false },
      code: ref('SegmentErrorCode'),
      message: text('The same as `error.message`, where Segment-protocol clients read it.'),
      error: closed({ code: ref('SegmentErrorCode'), message: text(), path: text('e.g. `batch.3.event`') }, ['code', 'message']),
    },
    ['success', 'code', 'message', 'error'],
    'Segment\'s success flag, the code and message at the top (where Segment-protocol clients read them), and Inflow\'s error shape.',
  ),
  SegmentErrorCode: {
    type: 'string',
    enum: [
      'malformed_json',
      'malformed_gzip',
      'too_deep',
      'invalid_message',
      'message_too_large',
      'batch_too_large',
      'payload_too_large',
      'unsupported_encoding',
      'missing_write_key',
      'invalid_write_key',
      'source_disabled',
      'origin_not_allowed',
      'queue_unavailable',
      'service_unavailable',
      'shutting_down',
    ],
  },
  PageContext: open({ url: text(), path: text(), title: text(), referrer: text() }, []),
  DemoProfile: closed(
    {
      state: { type: 'string', enum: ['found', 'no-cookie', 'not-found'] },
      profile: {
        anyOf: [
          closed(
            {
              id: text(),
              createdAt: dateTime(),
              firstVisitAt: dateTime(),
              lastVisitAt: dateTime(),
              visits: count(),
              eventCount: count(),
              traits: freeForm(),
            },
            ['id', 'createdAt', 'firstVisitAt', 'lastVisitAt', 'visits', 'eventCount', 'traits'],
          ),
          { type: 'null' },
        ],
      },
      sessions: listOf(
        closed(
          {
            id: text(),
            startedAt: dateTime(),
            lastEventAt: dateTime(),
            eventCount: count(),
            landingPage: ref('PageContext'),
            referrer: text(),
            utm: { type: 'object', additionalProperties: { type: 'string' } },
          },
          ['id', 'startedAt', 'lastEventAt', 'eventCount'],
        ),
        'The last 5 sessions of the demo source.',
      ),
      events: listOf(
        closed(
          {
            id: text(),
            type: text(),
            time: dateTime(),
            receivedAt: dateTime(),
            sessionId: text(),
            properties: freeForm(),
            page: ref('PageContext'),
          },
          ['id', 'type', 'time', 'receivedAt', 'sessionId', 'properties'],
        ),
        'The last 20 events of the demo source, newest first.',
      ),
    },
    ['state', 'profile', 'sessions', 'events'],
  ),
};
