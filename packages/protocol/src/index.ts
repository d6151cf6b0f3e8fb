export type * from './types.js';
export { checkTrackPayload, TrackEventSchema, TrackPayloadSchema, MAX_ID_LENGTH, MAX_EVENT_TYPE_LENGTH, MIN_EVENT_TIME, MAX_EVENT_TIME } from './track-schema.js';
export type { SchemaCheck } from './track-schema.js';
export { MAX_JSON_DEPTH, MAX_KEY_LENGTH, MAX_FREE_FORM_ENTRIES, FORBIDDEN_KEYS } from './content-limits.js';
export { jsonNestingDepth } from './json-depth.js';
export { checkPayloadContent } from './payload-content.js';
export type { ContentCheck, ContentOptions } from './payload-content.js';
