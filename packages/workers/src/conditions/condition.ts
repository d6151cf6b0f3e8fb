import { isFieldPath, parseFieldPath, readField, type FieldPath, type Subject } from './field-path.js';

/**
 * Conditions as data: comparisons on event, profile and session fields, combined with
 * all / any / not. Written as JSON by operators, so the parser names the exact place of a
 * problem, and the evaluator never throws and never runs user code.
 */
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Comparison;

export const COMPARISON_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'startsWith', 'endsWith', 'exists', 'missing'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export interface Comparison {
  field: string;
  op: ComparisonOperator;
  /** Absent for exists / missing; a list for in. */
  value?: unknown;
}

/** A condition checked and with its paths split: what the evaluator runs. */
export type CompiledCondition =
  | { kind: 'all' | 'any'; of: CompiledCondition[] }
  | { kind: 'not'; of: CompiledCondition }
  | { kind: 'compare'; path: FieldPath; op: ComparisonOperator; value: unknown };

export interface ConditionProblem {
  /** Where, from the condition's root: `all.2.field`. */
  path: string;
  message: string;
}

const MAX_DEPTH = 16;
const MAX_NODES = 256;
const NO_VALUE: ReadonlySet<ComparisonOperator> = new Set(['exists', 'missing']);

/** Checks a condition written as JSON; answers the compiled form or the first problem. */
export function compileCondition(input: unknown, at = 'condition'): CompiledCondition | ConditionProblem {
  const budget = { nodes: 0 };
  try {
    return compileNode(input, at, 0, budget);
  } catch (problem) {
    if (isProblemThrown(problem)) return problem.problem;
    throw problem;
  }
}

export function isConditionProblem(value: CompiledCondition | ConditionProblem): value is ConditionProblem {
  return 'message' in value;
}

class ProblemThrown {
  constructor(readonly problem: ConditionProblem) {}
}
const isProblemThrown = (value: unknown): value is ProblemThrown => value instanceof ProblemThrown;
const fail = (path: string, message: string): never => {
  throw new ProblemThrown({ path, message });
};

function compileNode(input: unknown, at: string, depth: number, budget: { nodes: number }): CompiledCondition {
  if (depth > MAX_DEPTH) fail(at, `conditions nest deeper than ${MAX_DEPTH} levels`);
  if (++budget.nodes > MAX_NODES) fail(at, `a condition may hold at most ${MAX_NODES} parts`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail(at, 'must be an object: {all: […]}, {any: […]}, {not: {…}} or {field, op, value}');
  const node = input as Record<string, unknown>;
  const keys = Object.keys(node);
  for (const kind of ['all', 'any'] as const) {
    if (!(kind in node)) continue;
    expectOnly(keys, [kind], at);
    const list = node[kind];
    if (!Array.isArray(list) || list.length === 0) fail(`${at}.${kind}`, 'must be a non-empty list of conditions');
    return { kind, of: (list as unknown[]).map((item, index) => compileNode(item, `${at}.${kind}.${index}`, depth + 1, budget)) };
  }
  if ('not' in node) {
    expectOnly(keys, ['not'], at);
    return { kind: 'not', of: compileNode(node['not'], `${at}.not`, depth + 1, budget) };
  }
  return compileComparison(node, keys, at);
}

function compileComparison(node: Record<string, unknown>, keys: string[], at: string): CompiledCondition {
  expectOnly(keys, ['field', 'op', 'value'], at);
  const { field, op, value } = node;
  if (typeof field !== 'string') return fail(`${at}.field`, 'must be a path such as "event.properties.sku"');
  const path = parseFieldPath(field);
  if (!isFieldPath(path)) return fail(`${at}.field`, path.problem);
  if (typeof op !== 'string' || !(COMPARISON_OPERATORS as readonly string[]).includes(op)) {
    return fail(`${at}.op`, `must be one of ${COMPARISON_OPERATORS.join(', ')}`);
  }
  const operator = op as ComparisonOperator;
  if (NO_VALUE.has(operator)) {
    if ('value' in node) fail(`${at}.value`, `"${operator}" takes no value`);
  } else if (!('value' in node)) {
    fail(`${at}.value`, `"${operator}" needs a value`);
  } else {
    checkValue(operator, value, `${at}.value`);
  }
  return { kind: 'compare', path, op: operator, value };
}

function checkValue(op: ComparisonOperator, value: unknown, at: string): void {
  const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (op === 'in') {
    if (!Array.isArray(value) || value.length === 0 || !value.every(scalar)) fail(at, '"in" needs a non-empty list of strings, numbers, booleans or null');
    return;
  }
  if (op === 'startsWith' || op === 'endsWith') {
    if (typeof value !== 'string') fail(at, `"${op}" needs a string`);
    return;
  }
  if (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') {
    if (typeof value !== 'number' && typeof value !== 'string') fail(at, `"${op}" needs a number or a string (ISO times compare as strings)`);
    return;
  }
  if (!scalar(value)) fail(at, `"${op}" needs a string, number, boolean or null`);
}

function expectOnly(keys: string[], allowed: string[], at: string): void {
  const extra = keys.find((key) => !allowed.includes(key));
  if (extra !== undefined) fail(`${at}.${extra}`, `unknown field (expected ${allowed.join(', ')})`);
}

/** True when the subject meets the condition. A missing field meets only `missing` and `ne`. */
export function evaluateCondition(condition: CompiledCondition, subject: Subject): boolean {
  switch (condition.kind) {
    case 'all':
      return condition.of.every((part) => evaluateCondition(part, subject));
    case 'any':
      return condition.of.some((part) => evaluateCondition(part, subject));
    case 'not':
      return !evaluateCondition(condition.of, subject);
    case 'compare':
      return compare(readField(subject, condition.path), condition.op, condition.value);
  }
}

function compare(actual: unknown, op: ComparisonOperator, expected: unknown): boolean {
  switch (op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'missing':
      return actual === undefined || actual === null;
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'in':
      return (expected as unknown[]).includes(actual);
    case 'contains':
      if (typeof actual === 'string') return typeof expected === 'string' && actual.includes(expected);
      return Array.isArray(actual) && actual.includes(expected);
    case 'startsWith':
      return typeof actual === 'string' && actual.startsWith(expected as string);
    case 'endsWith':
      return typeof actual === 'string' && actual.endsWith(expected as string);
    default:
      return ordered(actual, op, expected);
  }
}

/** gt/gte/lt/lte: numbers with numbers, strings with strings (ISO-8601 times sort as text); anything else is false. */
function ordered(actual: unknown, op: ComparisonOperator, expected: unknown): boolean {
  if (typeof actual !== typeof expected || (typeof actual !== 'number' && typeof actual !== 'string')) return false;
  const a = actual as number | string;
  const b = expected as number | string;
  if (op === 'gt') return a > b;
  if (op === 'gte') return a >= b;
  if (op === 'lt') return a < b;
  return a <= b;
}
