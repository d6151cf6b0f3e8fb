import { describe, expect, it } from 'vitest';
import { checkDestination, type DestinationSpec } from '@inflow/workers';
import { sendsTheSame } from './destination-catalog.js';

const spec = (input: Record<string, unknown>): DestinationSpec => {
  const checked = checkDestination({ id: 'crm', webhook: { url: 'https://crm.example/in' }, trigger: {}, ...input });
  if (!checked.ok) throw new Error(checked.problem.message);
  return checked.spec;
};

describe('what a destination sends (its revision)', () => {
  it('ignores the name, enabled, and key order outside the mapping', () => {
    const base = spec({ webhook: { url: 'https://crm.example/in', headers: { a: '1', b: '2' } } });
    expect(sendsTheSame(base, spec({ name: 'CRM', enabled: false, webhook: { headers: { b: '2', a: '1' }, url: 'https://crm.example/in' } }))).toBe(true);
    expect(sendsTheSame(base, spec({ webhook: { url: 'https://crm.example/in', headers: { a: '1', b: '2' } }, delivery: {} }))).toBe(true);
  });

  it('counts the webhook, the trigger, the delivery and the mapping, the mapping\'s key order included', () => {
    const base = spec({ mapping: { a: '{{event.id}}', b: 1 } });
    expect(sendsTheSame(base, spec({ mapping: { a: '{{event.id}}', b: 1 }, webhook: { url: 'https://crm.example/other' } }))).toBe(false);
    expect(sendsTheSame(base, spec({ mapping: { a: '{{event.id}}', b: 1 }, trigger: { eventTypes: ['x'] } }))).toBe(false);
    expect(sendsTheSame(base, spec({ mapping: { a: '{{event.id}}', b: 1 }, delivery: { concurrency: 1 } }))).toBe(false);
    expect(sendsTheSame(base, spec({ mapping: { b: 1, a: '{{event.id}}' } }))).toBe(false);
    expect(sendsTheSame(base, spec({}))).toBe(false);
  });
});
