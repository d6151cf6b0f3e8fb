import { FORBIDDEN_KEYS, MAX_FREE_FORM_ENTRIES, MAX_KEY_LENGTH } from './content-limits.js';
import { jsonLeafBytes, jsonStringBytes } from './json-size.js';
import type { TrackPayload } from './types.js';

export type ContentCheck =
  | { ok: true }
  | { ok: false; code: 'invalid_payload' | 'event_too_large' | 'too_deep'; path: string; message: string };

export interface ContentOptions {
  /**
   * Measure each event's JSON size (as JSON.stringify would write it, in UTF-8 bytes) against
   * this limit. Leave it out when the whole body is smaller: no event can be larger.
   */
  maxEventBytes?: number;
  /**
   * Check nesting against this many levels, counted from the body (the body 1, `events` 2, an
   * event 3, its properties 4): an event nested deeper is refused alone, the request's context or
   * properties nested deeper refuse the request. Leave it out when the whole body is within it.
   */
  maxDepth?: number;
}

/** Event fields that hold free-form objects; the payload's own `context` and `properties` are free-form too. */
const EVENT_FREE_FORM = new Set(['properties', 'context']);

interface PathNode {
  readonly key: string;
  readonly parent: PathNode | undefined;
}

interface Frame {
  readonly value: object;
  readonly path: PathNode;
  readonly freeForm: boolean;
  /** Its level in the body (the body is 1). */
  readonly depth: number;
}

interface Budget {
  /** Free-form entries (keys and array items) counted so far. */
  entries: number;
  /** JSON bytes counted so far; Infinity turns measuring off. */
  bytes: number;
  readonly maxBytes: number;
  /** Levels of the body at most (Infinity: not checked). */
  readonly maxDepth: number;
}

type Failure = Extract<ContentCheck, { ok: false }>;

const OK: ContentCheck = { ok: true };

/**
 * Checks what the schema leaves open, in one iterative walk of a schema-checked payload:
 * free-form keys (no empty, overlong or `__proto__` key, no `\u0000` in a key), finite
 * numbers, the entries budget per event and, when asked, each event's size. Stops at the
 * first problem it meets and names its path. The body's depth is bounded before parsing
 * (jsonNestingDepth); this walk does not rely on it, it never recurses.
 */
export function checkPayloadContent(payload: TrackPayload, options: ContentOptions = {}): ContentCheck {
  const maxBytes = options.maxEventBytes ?? Infinity;
  const request = checkRequestContent(payload, maxBytes, options.maxDepth);
  if (!request.ok) return request;
  const events = payload.events;
  for (let i = 0; i < events.length; i++) {
    const failure = checkEventContent(events[i] as object, i, request, maxBytes, options.maxDepth);
    if (failure) return failure;
  }
  return OK;
}

/** What the request's context takes from each event's budgets: it is merged into every event's context when stored. */
export interface SharedContext {
  contextEntries: number;
  /** Its JSON size (0 when not measured). */
  contextBytes: number;
}

/** Levels of the body above a request's context or properties, and above an event. */
const REQUEST_FIELD_DEPTH = 2;
const EVENT_DEPTH = 3;

export type RequestContentCheck = ({ ok: true } & SharedContext) | Failure;

/**
 * The request's own `context` and `properties`. On success, how many entries and (when
 * `maxEventBytes` is given) bytes its context takes from each event's budget: an event is
 * stored with the request's context merged into its own, so a large context repeated in every
 * event counts in each (a 900 KB context on 100 tiny events would store 90 MB). A context
 * that leaves no event within the size is the request's problem.
 */
export function checkRequestContent(payload: TrackPayload, maxEventBytes = Infinity, maxDepth = Infinity): RequestContentCheck {
  const shared: Budget = { entries: 0, bytes: maxEventBytes === Infinity ? Infinity : 0, maxBytes: Infinity, maxDepth };
  const context = payload.context && walk(payload.context, node('context'), true, shared, REQUEST_FIELD_DEPTH);
  if (context) return context;
  const contextBytes = payload.context && shared.bytes !== Infinity ? shared.bytes : 0;
  if (contextBytes >= maxEventBytes) {
    return {
      ok: false,
      code: 'event_too_large',
      path: 'context',
      message: `context is ${contextBytes} bytes: merged into every event, it leaves none within ${maxEventBytes} bytes; at most ${maxEventBytes} are accepted per event`,
    };
  }
  const properties = payload.properties && walk(payload.properties, node('properties'), true, { entries: 0, bytes: Infinity, maxBytes: Infinity, maxDepth }, REQUEST_FIELD_DEPTH);
  if (properties) return properties;
  return { ok: true, contextEntries: shared.entries, contextBytes };
}

/**
 * One schema-checked event (at `events.<index>`): its free-form content, with what the
 * request's context already spent of its entries and bytes, and its JSON size against
 * `maxEventBytes`.
 */
export function checkEventContent(event: object, index: number, shared: SharedContext, maxEventBytes = Infinity, maxDepth = Infinity): Failure | undefined {
  const budget: Budget = { entries: shared.contextEntries, bytes: maxEventBytes === Infinity ? Infinity : shared.contextBytes, maxBytes: maxEventBytes, maxDepth };
  const failure = walk(event, node(String(index), EVENTS), false, budget, EVENT_DEPTH);
  if (failure?.code === 'event_too_large' && shared.contextBytes > 0) {
    return { ...failure, message: `${failure.message} (with the request's context of ${shared.contextBytes} bytes, merged into each event)` };
  }
  return failure;
}

const EVENTS = node('events');

/**
 * Walks one tree, at level `rootDepth` of the body, with an explicit stack. The root's
 * `properties` and `context` are free-form when the root is not.
 */
function walk(root: object, rootPath: PathNode, rootFreeForm: boolean, budget: Budget, rootDepth: number): Failure | undefined {
  const stack: Frame[] = [{ value: root, path: rootPath, freeForm: rootFreeForm, depth: rootDepth }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { value, path, freeForm, depth } = frame;
    if (depth > budget.maxDepth) return tooDeep(path, budget.maxDepth);
    if (Array.isArray(value)) {
      if (freeForm && (budget.entries += value.length) > MAX_FREE_FORM_ENTRIES) return tooManyEntries(path, rootPath);
      budget.bytes += value.length > 0 ? value.length + 1 : 2;
      for (let i = 0; i < value.length; i++) {
        const failure = visit(value[i], path, String(i), freeForm, depth, budget, stack);
        if (failure) return failure;
      }
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (freeForm && (budget.entries += keys.length) > MAX_FREE_FORM_ENTRIES) return tooManyEntries(path, rootPath);
      budget.bytes += keys.length > 0 ? keys.length + 1 : 2;
      const eventRoot = !freeForm && path === rootPath;
      for (const key of keys) {
        if (freeForm) {
          const bad = badKey(key);
          if (bad) return invalid(path, bad);
        }
        if (budget.bytes !== Infinity) budget.bytes += jsonStringBytes(key) + 1;
        const childFreeForm = eventRoot ? EVENT_FREE_FORM.has(key) : freeForm;
        const failure = visit(record[key], path, key, childFreeForm, depth, budget, stack);
        if (failure) return failure;
      }
    }
    if (budget.bytes > budget.maxBytes) return tooLarge(rootPath, budget.maxBytes);
  }
  return undefined;
}

/** Counts a leaf at once; queues an object or array (one level below its parent's `depth`) for the walk. */
function visit(value: unknown, parent: PathNode, key: string, freeForm: boolean, depth: number, budget: Budget, stack: Frame[]): Failure | undefined {
  if (typeof value === 'object' && value !== null) {
    stack.push({ value, path: node(key, parent), freeForm, depth: depth + 1 });
    return undefined;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return invalid(node(key, parent), 'is a number JSON cannot carry (too large); send it as a string');
  }
  if (budget.bytes !== Infinity) budget.bytes += jsonLeafBytes(value);
  return undefined;
}

function badKey(key: string): string | undefined {
  if (key.length === 0) return 'has an empty key';
  if (key.length > MAX_KEY_LENGTH) return `has a key of ${key.length} characters ("${key.slice(0, 32)}…"); at most ${MAX_KEY_LENGTH} are accepted`;
  if (FORBIDDEN_KEYS.has(key)) return `has the key "${key}", which is not accepted`;
  if (key.includes('\u0000')) return 'has a key containing \\u0000, which cannot be stored';
  return undefined;
}

function node(key: string, parent?: PathNode): PathNode {
  return { key, parent };
}

function pathText(path: PathNode): string {
  const keys: string[] = [];
  for (let at: PathNode | undefined = path; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

function invalid(path: PathNode, problem: string): Failure {
  const text = pathText(path);
  return { ok: false, code: 'invalid_payload', path: text, message: `${text} ${problem}` };
}

function tooManyEntries(path: PathNode, rootPath: PathNode): Failure {
  const scope = rootPath.parent?.key === 'events' ? `event ${rootPath.key} (its properties and context, with the request's context)` : pathText(rootPath);
  return invalid(path, `takes ${scope} past ${MAX_FREE_FORM_ENTRIES} keys and array items; at most ${MAX_FREE_FORM_ENTRIES} are accepted`);
}

function tooDeep(path: PathNode, maxDepth: number): Failure {
  const text = pathText(path);
  return { ok: false, code: 'too_deep', path: text, message: `${text} is nested more than ${maxDepth} levels deep in the body; at most ${maxDepth} are accepted` };
}

function tooLarge(eventPath: PathNode, maxBytes: number): Failure {
  return {
    ok: false,
    code: 'event_too_large',
    path: pathText(eventPath),
    message: `event ${eventPath.key} is larger than ${maxBytes} bytes; at most ${maxBytes} are accepted per event`,
  };
}
