import { describe, expect, it } from 'vitest';
import { subjectFor } from '../test-support/subjects.js';
import { decodeSubjects, subjectMessages } from './subject-messages.js';

describe('subjectMessages', () => {
  it("puts each profile's subjects in messages of bounded size, in order, a larger subject alone; every message reads back", () => {
    const pad = 'z'.repeat(60_000);
    const ann = Array.from({ length: 10 }, (_, i) => subjectFor({ event: { id: `a${i}`, context: { pad } }, profile: { id: 'ann' } }));
    const bob = [subjectFor({ event: { id: 'b0' }, profile: { id: 'bob' } })];
    const huge = subjectFor({ event: { id: 'a10', context: { pad: 'y'.repeat(300_000) } }, profile: { id: 'ann' } });
    const messages = subjectMessages('crm', [...ann, bob[0]!, huge], 200_000);
    expect(messages.map((m) => m.key)).toEqual(['ann', 'ann', 'ann', 'ann', 'ann', 'bob']);
    for (const message of messages.slice(0, 3)) expect(message.data.byteLength).toBeLessThanOrEqual(200_100);
    const decoded = messages.map((m) => decodeSubjects(m.data));
    expect(decoded.every((d) => d?.destination === 'crm')).toBe(true);
    expect(decoded.flatMap((d) => d!.subjects.map((s) => s.event.id))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'a10', 'b0']);
    // One message per profile when they are small.
    expect(subjectMessages('workflow', [...bob, subjectFor({ event: { id: 'b1' }, profile: { id: 'bob' } })]).map((m) => m.key)).toEqual(['bob']);
  });
});
