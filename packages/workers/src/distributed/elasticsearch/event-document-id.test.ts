import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventDocumentId } from './elastic-store.js';

const expected = (profileId: string, id: string): string => `${createHash('sha1').update(profileId).digest('base64url').slice(0, 22)}:${id}`;

describe('eventDocumentId', () => {
  it("names an event by a hash of its profile and its own id, the same each time, also once many profiles came between", () => {
    expect(eventDocumentId({ profileId: 'ann', id: 'e1' })).toBe(expected('ann', 'e1'));
    expect(eventDocumentId({ profileId: 'bob', id: 'e1' })).not.toBe(eventDocumentId({ profileId: 'ann', id: 'e1' }));
    for (let i = 0; i < 25_000; i++) expect(eventDocumentId({ profileId: `p${i}`, id: 'x' })).toBe(expected(`p${i}`, 'x'));
    expect(eventDocumentId({ profileId: 'ann', id: 'e2' })).toBe(expected('ann', 'e2'));
    expect(eventDocumentId({ profileId: '__proto__', id: 'e' })).toBe(expected('__proto__', 'e'));
  });
});
