import { describe, expect, it } from 'vitest';
import { subjectFor } from '../test-support/subjects.js';
import { compileMapping, DEFAULT_MAPPING, isMappingProblem, renderMapping, type Mapping } from './mapping.js';

const subject = subjectFor({
  event: { id: 'e-9', type: 'purchase', properties: { sku: 'SKU-42', total: 19.9, items: [{ sku: 'SKU-42', qty: 2 }] } },
  profile: { id: 'jane', traits: { email: 'jane@example.com' } },
});

function render(mapping: Mapping): unknown {
  const compiled = compileMapping(mapping);
  if (isMappingProblem(compiled)) throw new Error(`${compiled.path}: ${compiled.message}`);
  return renderMapping(compiled, subject);
}

describe('destination mappings', () => {
  it('keeps values as they are, writes text templates, and passes constants through', () => {
    expect(
      render({
        sku: '{{ event.properties.sku }}',
        total: '{{event.properties.total}}',
        items: '{{event.properties.items}}',
        title: 'Order {{event.id}} by {{profile.traits.email}} ({{event.properties.items}})',
        missing: '{{event.properties.coupon}}',
        missingInText: 'coupon: {{event.properties.coupon}}.',
        list: ['{{profile.id}}', 1, true, null],
        constant: { channel: 'web', version: 2 },
      }),
    ).toEqual({
      sku: 'SKU-42',
      total: 19.9,
      items: [{ sku: 'SKU-42', qty: 2 }],
      title: 'Order e-9 by jane@example.com ([{"sku":"SKU-42","qty":2}])',
      missing: null,
      missingInText: 'coupon: .',
      list: ['jane', 1, true, null],
      constant: { channel: 'web', version: 2 },
    });
  });

  it('sends the event, the profile id and traits, and the session id by default', () => {
    expect(render(DEFAULT_MAPPING)).toMatchObject({
      event: { id: 'e-9', type: 'purchase', properties: { sku: 'SKU-42' } },
      profile: { id: 'jane', traits: { email: 'jane@example.com' } },
      session: { id: 's-1' },
    });
  });

  it.each([
    [{ a: '{{event.nope}}' }, 'mapping.a', 'event has no field "nope"'],
    [{ a: ['x', 'total {{cart.total}}'] }, 'mapping.a.1', 'must start with event., profile. or session.'],
    [{ a: '{{}}' }, 'mapping.a', 'empty segment'],
    [JSON.parse('{"__proto__": {"x": 1}}'), 'mapping.__proto__', 'not allowed'],
  ])('refuses %j at %s', (mapping, path, message) => {
    expect(compileMapping(mapping)).toMatchObject({ path, message: expect.stringContaining(message) });
  });
});
