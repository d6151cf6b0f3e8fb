export type * from './types.js';
export { checkTrackPayload, TrackEventSchema, TrackPayloadSchema, MAX_ID_LENGTH, MAX_EVENT_TYPE_LENGTH } from './track-schema.js';
export type { SchemaCheck } from './track-schema.js';
