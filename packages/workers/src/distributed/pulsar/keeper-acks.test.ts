import { describe, expect, it } from 'vitest';
import { messageIdData } from './keeper-acks.js';

describe('messageIdData', () => {
  it('encodes a position as the MessageIdData protobuf the WebSocket API takes, in base64', () => {
    // What the broker itself sends for ledger 3, entry 0 starts with the same fields: CAMQ… = 08 03 10 00.
    expect(messageIdData('3', '0')).toBe(Buffer.from([0x08, 0x03, 0x10, 0x00]).toString('base64'));
    expect([...Buffer.from(messageIdData('300', '1'), 'base64')]).toEqual([0x08, 0xac, 0x02, 0x10, 0x01]);
    const big = Buffer.from(messageIdData(String(2 ** 40), '127'), 'base64');
    expect([...big]).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x10, 0x7f]);
  });
});
