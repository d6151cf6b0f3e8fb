import { isFieldPath, parseFieldPath, readField, type FieldPath, type Subject } from '../conditions/field-path.js';

/**
 * A destination's mapping: the outgoing body written as JSON, where a string is a template.
 *   "{{event.properties.sku}}"        the value itself (number, object, … kept as they are)
 *   "Order {{event.properties.id}}"   text with the values written in
 *   anything else                      a constant
 * A path that is absent on an event renders as null alone, and as "" inside text.
 */
export type Mapping = unknown;

type Part = string | FieldPath;
type CompiledMapping =
  | { kind: 'constant'; value: unknown }
  | { kind: 'value'; path: FieldPath }
  | { kind: 'text'; parts: Part[] }
  | { kind: 'list'; items: CompiledMapping[] }
  | { kind: 'object'; entries: Array<[string, CompiledMapping]> };

export interface MappingProblem {
  path: string;
  message: string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const MAX_NODES = 2_000;
const MAX_DEPTH = 16;

export function compileMapping(mapping: Mapping, at = 'mapping'): CompiledMapping | MappingProblem {
  const budget = { nodes: 0 };
  const walk = (node: unknown, where: string, depth: number): CompiledMapping | MappingProblem => {
    if (++budget.nodes > MAX_NODES) return { path: where, message: `a mapping may hold at most ${MAX_NODES} values` };
    if (depth > MAX_DEPTH) return { path: where, message: `a mapping nests deeper than ${MAX_DEPTH} levels` };
    if (typeof node === 'string') return compileText(node, where);
    if (Array.isArray(node)) {
      const items: CompiledMapping[] = [];
      for (const [index, item] of node.entries()) {
        const compiled = walk(item, `${where}.${index}`, depth + 1);
        if (isMappingProblem(compiled)) return compiled;
        items.push(compiled);
      }
      return { kind: 'list', items };
    }
    if (typeof node === 'object' && node !== null) {
      const entries: Array<[string, CompiledMapping]> = [];
      for (const [key, value] of Object.entries(node)) {
        if (key === '__proto__') return { path: `${where}.${key}`, message: 'this key is not allowed' };
        const compiled = walk(value, `${where}.${key}`, depth + 1);
        if (isMappingProblem(compiled)) return compiled;
        entries.push([key, compiled]);
      }
      return { kind: 'object', entries };
    }
    if (node === undefined || (typeof node === 'number' && !Number.isFinite(node))) return { path: where, message: 'must be JSON' };
    return { kind: 'constant', value: node };
  };
  return walk(mapping, at, 0);
}

export function isMappingProblem(value: CompiledMapping | MappingProblem): value is MappingProblem {
  return 'message' in value;
}

function compileText(text: string, where: string): CompiledMapping | MappingProblem {
  const whole = WHOLE.exec(text);
  if (whole) {
    const path = parseFieldPath(whole[1] ?? '');
    return isFieldPath(path) ? { kind: 'value', path } : { path: where, message: path.problem };
  }
  const parts: Part[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const path = parseFieldPath(match[1] ?? '');
    if (!isFieldPath(path)) return { path: where, message: path.problem };
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(path);
    last = match.index + match[0].length;
  }
  if (parts.length === 0) return { kind: 'constant', value: text };
  if (last < text.length) parts.push(text.slice(last));
  return { kind: 'text', parts };
}

/** The outgoing body for one event. */
export function renderMapping(mapping: CompiledMapping, subject: Subject): unknown {
  switch (mapping.kind) {
    case 'constant':
      return mapping.value;
    case 'value':
      return readField(subject, mapping.path) ?? null;
    case 'text':
      return mapping.parts.map((part) => (typeof part === 'string' ? part : asText(readField(subject, part)))).join('');
    case 'list':
      return mapping.items.map((item) => renderMapping(item, subject));
    case 'object': {
      const body: Record<string, unknown> = {};
      for (const [key, value] of mapping.entries) body[key] = renderMapping(value, subject);
      return body;
    }
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** What a destination without a mapping sends: the event, and the ids and traits it resolved to. */
export const DEFAULT_MAPPING: Mapping = {
  event: {
    id: '{{event.id}}',
    type: '{{event.type}}',
    time: '{{event.time}}',
    sourceId: '{{event.sourceId}}',
    properties: '{{event.properties}}',
    context: '{{event.context}}',
  },
  profile: { id: '{{profile.id}}', traits: '{{profile.traits}}' },
  session: { id: '{{session.id}}' },
};
