import { array, boolean, defaulted, enums, integer, object, optional, record, refine, size, string, unknown, type Infer } from 'superstruct';
import { validateJson } from '@inflow/protocol';
import { compileCondition, isConditionProblem, type CompiledCondition } from '../conditions/condition.js';
import { compileMapping, DEFAULT_MAPPING, isMappingProblem, type Mapping } from './mapping.js';
import { structProblem } from '@inflow/core';
import { DEFAULT_DELIVERY_POLICY } from './delivery-decision.js';

/**
 * A destination as operators write it (private API, CLI): where events go, which events,
 * and what body they become. Secrets are named, never written here: `secretHeaders` maps a
 * header to the name of a secret the workers read from their configuration.
 */
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'idempotency-key', 'host', 'transfer-encoding', 'connection']);

const id = refine(string(), 'id', (value) => NAME.test(value) || 'must be 1–64 of a-z, 0-9, _ and -, starting with a letter or digit');
const header = refine(string(), 'header', (value) => (HEADER.test(value) && !RESERVED_HEADERS.has(value.toLowerCase())) || `"${value}" is not a header a destination may set`);
const headerValue = refine(size(string(), 0, 4_096), 'header value', (value) => !/[\r\n\0]/.test(value) || 'must not contain line breaks or NUL');
const url = refine(string(), 'url', (value) => {
  try {
    const parsed = new URL(value);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? true : 'must be an http or https URL';
  } catch {
    return 'must be an absolute http or https URL';
  }
});

export const DestinationInput = object({
  id,
  name: defaulted(size(string(), 0, 200), ''),
  enabled: defaulted(boolean(), true),
  webhook: object({
    url,
    method: defaulted(enums(['POST', 'PUT', 'PATCH']), 'POST'),
    headers: defaulted(record(header, headerValue), {}),
    secretHeaders: defaulted(record(header, id), {}),
    timeoutMs: defaulted(size(integer(), 100, 60_000), 10_000),
  }),
  trigger: object({
    /** Empty: every event type. */
    eventTypes: defaulted(size(array(size(string(), 1, 128)), 0, 100), []),
    /** Empty: every source. */
    sources: defaulted(size(array(id), 0, 100), []),
    condition: optional(unknown()),
  }),
  mapping: optional(unknown()),
  delivery: defaulted(
    object({
      minAttempts: defaulted(size(integer(), 1, 1_000), DEFAULT_DELIVERY_POLICY.minAttempts),
      maxAgeMs: defaulted(size(integer(), 0, 30 * 24 * 3_600_000), DEFAULT_DELIVERY_POLICY.maxAgeMs),
      /** Deliveries in flight at once (different profiles; one profile's events go in order). */
      concurrency: defaulted(size(integer(), 1, 256), 8),
    }),
    {},
  ),
});

export type DestinationSpec = Infer<typeof DestinationInput> & { mapping?: Mapping };

/** A stored destination: the spec plus what the system keeps. */
export interface DestinationRecord extends DestinationSpec {
  /** Increases on every write (compare-and-set in the definitions store), pausing included. */
  version: number;
  /**
   * Increases when what is sent changes (webhook, trigger, mapping, delivery): part of the
   * Idempotency-Key, so an edited destination sends again, while a pause and resume does not.
   */
  revision: number;
  /** Paused by an operator or by the circuit breaker: events wait, none is dropped. */
  paused: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DefinitionProblem {
  path: string;
  message: string;
}

/** Checks a destination as written; answers the spec with defaults filled in, or the first problem. */
export function checkDestination(input: unknown): { ok: true; spec: DestinationSpec } | { ok: false; problem: DefinitionProblem } {
  const [error, spec] = validateJson(input, DestinationInput, { coerce: true });
  if (error) return { ok: false, problem: structProblem(error) };
  if (spec.trigger.condition !== undefined) {
    const condition = compileCondition(spec.trigger.condition, 'trigger.condition');
    if (isConditionProblem(condition)) return { ok: false, problem: condition };
  }
  const mapping = compileMapping(spec.mapping ?? DEFAULT_MAPPING);
  if (isMappingProblem(mapping)) return { ok: false, problem: mapping };
  return { ok: true, spec };
}

/** What matching needs of a destination, compiled once per version. */
export interface DestinationTrigger {
  eventTypes: ReadonlySet<string>;
  sources: ReadonlySet<string>;
  condition?: CompiledCondition;
}

export function compileTrigger(spec: DestinationSpec): DestinationTrigger {
  const condition = spec.trigger.condition === undefined ? undefined : compileCondition(spec.trigger.condition, 'trigger.condition');
  if (condition && isConditionProblem(condition)) throw new Error(`destination ${spec.id}: stored condition is invalid: ${condition.message}`);
  return { eventTypes: new Set(spec.trigger.eventTypes), sources: new Set(spec.trigger.sources), ...(condition ? { condition } : {}) };
}
