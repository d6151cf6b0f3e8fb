/**
 * Limits on what a /track body may contain, stated once. They keep every accepted request
 * storable: free-form objects (event `properties` and `context`, the request's `context` and
 * `properties`, identify traits) are indexed by Elasticsearch as `flattened` fields with
 * `depth_limit: 20`, and a key with `\u0000` in it can never be indexed there.
 */

/**
 * Deepest nesting of objects and arrays in a whole body, the body's own object being level 1.
 * The envelope uses levels before free-form content starts: the request's `context` is level 2,
 * an event's `properties` and `context` level 4 (body, `events`, event, field). So free-form
 * content spans at most 15 levels, and an event's at most 13 (arrays counted; Elasticsearch
 * does not count them), well within the flattened depth limit of 20.
 */
export const MAX_JSON_DEPTH = 16;

/** Longest key in a free-form object, in UTF-16 code units (JavaScript string length). */
export const MAX_KEY_LENGTH = 256;

/**
 * Most entries (object keys plus array items, at every level) in the free-form data one event
 * is stored with: its `properties` and `context` plus the request's `context`, which is merged
 * into every event's context. The request's own `context` and `properties` have the same budget
 * each. This also bounds the keys of any one free-form object.
 */
export const MAX_FREE_FORM_ENTRIES = 1_000;

/**
 * Keys refused in free-form objects: `__proto__` sets the prototype when a key is copied by
 * assignment (Object.assign, deep merges), which JSON data must never be able to do.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__']);
