import { describe, expect, it } from 'vitest';
import { collect } from '../collector/collect.js';
import { PoisonMessageError } from '../errors.js';
import { envelopeFor } from '../test-support/fixtures.js';
import { decodeStorageMessage, encodeStorageMessages } from './storage-batch-codec.js';

const batchOf = (i: number) =>
  collect(envelopeFor({ profile: { id: `p${i}` }, events: [{ id: `e${i}`, type: 'x', properties: { pad: 'x'.repeat(200) } }] }), { profile: null, session: null });

describe('storage messages', () => {
  it('pack many batches into few messages under the size cap, and read back every one', () => {
    const batches = Array.from({ length: 50 }, (_, i) => batchOf(i));
    const messages = encodeStorageMessages(batches, 4096);
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThan(50);
    for (const message of messages) expect(message.data.byteLength).toBeLessThanOrEqual(4096);
    expect(messages.flatMap((m) => decodeStorageMessage(m.data))).toEqual(batches);
  });

  it('gives a batch larger than the cap a message of its own', () => {
    const messages = encodeStorageMessages([batchOf(1), batchOf(2)], 10);
    expect(messages).toHaveLength(2);
  });

  it.each([
    ['{', 'not JSON'],
    ['{}', 'not a list of batches'],
    ['[{"requestId":"r","profile":{"id":"p"},"session":{"id":"s","version":1},"events":[]}]', 'storage batch 0 profile has no id or version'],
    ['[{"requestId":"r","profile":{"id":"p","version":1},"session":{"id":"s","version":1},"events":[{}]}]', 'storage batch 0 events'],
  ])('refuses %s as a poison message', (text, reason) => {
    expect(() => decodeStorageMessage(Buffer.from(text))).toThrow(PoisonMessageError);
    expect(() => decodeStorageMessage(Buffer.from(text))).toThrow(reason);
  });
});
