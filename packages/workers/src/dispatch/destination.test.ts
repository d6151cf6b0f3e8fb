import { describe, expect, it } from 'vitest';
import { checkDestination } from './destination.js';

const minimal = { id: 'crm', webhook: { url: 'https://crm.example/hooks/inflow' }, trigger: {} };

describe('destination definitions', () => {
  it('fills in the defaults', () => {
    const checked = checkDestination(minimal);
    expect(checked).toEqual({
      ok: true,
      spec: {
        id: 'crm',
        name: '',
        enabled: true,
        webhook: { url: 'https://crm.example/hooks/inflow', method: 'POST', headers: {}, secretHeaders: {}, timeoutMs: 10_000 },
        trigger: { eventTypes: [], sources: [] },
        delivery: { minAttempts: 10, maxAgeMs: 86_400_000, concurrency: 8 },
      },
    });
  });

  it('accepts a full definition', () => {
    const checked = checkDestination({
      ...minimal,
      name: 'CRM',
      webhook: { url: 'http://127.0.0.1:9000/in', method: 'PUT', headers: { 'x-team': 'growth' }, secretHeaders: { authorization: 'crm-token' }, timeoutMs: 2_000 },
      trigger: { eventTypes: ['order-completed'], sources: ['web'], condition: { field: 'event.properties.total', op: 'gt', value: 0 } },
      mapping: { email: '{{profile.traits.email}}', total: '{{event.properties.total}}' },
      delivery: { minAttempts: 3, maxAgeMs: 60_000, concurrency: 2 },
    });
    expect(checked.ok).toBe(true);
  });

  it.each([
    [{ ...minimal, id: 'CRM!' }, 'id', 'a-z'],
    [{ ...minimal, webhook: { url: 'ftp://x.example' } }, 'webhook.url', 'http or https'],
    [{ ...minimal, webhook: { url: 'not a url' } }, 'webhook.url', 'absolute'],
    [{ ...minimal, webhook: { url: 'https://x.example', method: 'GET' } }, 'webhook.method', ''],
    [{ ...minimal, webhook: { url: 'https://x.example', headers: { 'idempotency-key': 'x' } } }, 'webhook.headers.idempotency-key', 'not a header'],
    [{ ...minimal, webhook: { url: 'https://x.example', headers: { 'x-a': 'one\r\nx-b: two' } } }, 'webhook.headers.x-a', 'line breaks'],
    [{ ...minimal, webhook: { url: 'https://x.example', timeoutMs: 5 } }, 'webhook.timeoutMs', ''],
    [{ ...minimal, colour: 'red' }, 'colour', 'unknown field'],
    [{ id: 'crm', trigger: {} }, 'webhook', 'required'],
    [{ ...minimal, trigger: { condition: { field: 'event.nope', op: 'exists' } } }, 'trigger.condition.field', 'no field "nope"'],
    [{ ...minimal, trigger: { condition: 'total > 3' } }, 'trigger.condition', 'must be an object'],
    [{ ...minimal, mapping: { sku: '{{event.properties.sku}}', who: '{{visitor.id}}' } }, 'mapping.who', 'must start with'],
  ])('refuses %j at %s', (input, path, message) => {
    const checked = checkDestination(input);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.problem.path).toBe(path);
      expect(checked.problem.message).toContain(message);
    }
  });
});
