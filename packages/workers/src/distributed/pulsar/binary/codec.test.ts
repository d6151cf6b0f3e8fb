import { describe, expect, it } from 'vitest';
import { laneKeys, murmur3, partitionOfKey } from '@inflow/core';
import { Command, decodeFrame, messageMetadata, readMessageId, sendFrame, simpleFrame, unreadableEntry, writeMessageId } from './commands.js';
import { crc32c } from './crc32c.js';
import { ProtoFields, ProtoWriter } from './protobuf.js';

/** A MESSAGE frame as a broker sends it: command, optional broker-entry metadata, magic + CRC, metadata, payload. */
function messageFrame(metadata: Buffer, payload: Buffer, brokerEntry?: Buffer): Buffer {
  const command = new ProtoWriter()
    .uint(1, Command.MESSAGE)
    .message(Command.MESSAGE, (message) => message.uint(1, 7).message(2, (id) => writeMessageId(id, { ledgerId: 2 ** 40, entryId: 300 })).uint(3, 2))
    .finish();
  const sized = Buffer.alloc(4);
  sized.writeUInt32BE(metadata.length);
  const checked = Buffer.concat([sized, metadata, payload]);
  const crc = Buffer.alloc(6);
  crc.writeUInt16BE(0x0e01);
  crc.writeUInt32BE(crc32c(checked), 2);
  const entry = brokerEntry ? Buffer.concat([Buffer.from([0x0e, 0x02]), Buffer.from([0, 0, 0, brokerEntry.length]), brokerEntry]) : Buffer.alloc(0);
  const commandSize = Buffer.alloc(4);
  commandSize.writeUInt32BE(command.length);
  return Buffer.concat([commandSize, command, entry, crc, checked]);
}

describe('Pulsar binary codec', () => {
  it('computes CRC-32C (Castagnoli), not the zlib CRC-32', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('1234'), Buffer.from('56789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it("hashes keys with MurmurHash3 x86_32 (seed 0), as Pulsar's Murmur3_32Hash routing does", () => {
    const hash = (text: string): number => murmur3(Buffer.from(text, 'utf8'));
    expect(hash('')).toBe(0);
    expect(hash('a')).toBe(0x3c2569b2);
    expect(hash('abc')).toBe(0xb3dd93fa);
    expect(hash('hello')).toBe(0x248bfa47);
    expect(hash('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
    for (const key of ['lane-0', 'lane-7', 'profile-é', '']) {
      expect(partitionOfKey(key, 4)).toBe((hash(key) & 0x7fffffff) % 4);
      expect(partitionOfKey(key, 1)).toBe(0);
    }
  });

  it('names lanes so that Murmur3 routing spreads them evenly over any partition count dividing the lane count', () => {
    for (const lanes of [1, 2, 4, 8, 16, 1024]) {
      const keys = laneKeys(lanes);
      expect(new Set(keys).size).toBe(lanes);
      for (const partitions of [1, 2, 4, 8].filter((p) => lanes % p === 0)) {
        const perPartition = new Array<number>(partitions).fill(0);
        for (const key of keys) perPartition[partitionOfKey(key, partitions)]! += 1;
        expect(perPartition).toEqual(new Array<number>(partitions).fill(lanes / partitions));
      }
    }
    expect(laneKeys(8).every((key, i) => partitionOfKey(key, 8) === i)).toBe(true);
  });

  it('writes and reads varints, strings and nested messages by field number', () => {
    const bytes = new ProtoWriter().uint(1, 0).uint(2, 300).uint(3, 2 ** 40 + 5).string(4, 'profile-é').message(5, (inner) => inner.uint(1, 9)).uint(6, 1).uint(6, 2).finish();
    expect([...bytes.subarray(0, 5)]).toEqual([0x08, 0x00, 0x10, 0xac, 0x02]);
    const fields = ProtoFields.decode(bytes);
    expect(fields.uint(1)).toBe(0);
    expect(fields.has(1)).toBe(true);
    expect(fields.uint(2)).toBe(300);
    expect(fields.uint(3)).toBe(2 ** 40 + 5);
    expect(fields.string(4)).toBe('profile-é');
    expect(fields.message(5)?.uint(1)).toBe(9);
    expect(fields.uint(6)).toBe(1);
    expect(fields.has(99)).toBe(false);
    expect(fields.uint(99, 42)).toBe(42);
  });

  it('refuses numbers protobuf cannot carry and data that runs past its end', () => {
    expect(() => new ProtoWriter().uint(1, -1)).toThrow(RangeError);
    expect(() => new ProtoWriter().uint(1, 1.5)).toThrow(RangeError);
    expect(() => ProtoFields.decode(Buffer.from([0x22, 0x05, 0x61]))).toThrow(/past the end/);
    expect(() => ProtoFields.decode(Buffer.from([0x08, 0xff, 0xff]))).toThrow(/past the end/);
    expect(() => ProtoFields.decode(Buffer.from([0x0b]))).toThrow(/wire type 3/);
  });

  it('frames a command with its sizes, and a SEND with magic, CRC-32C over metadata and payload', () => {
    const flow = simpleFrame(Command.FLOW, (command) => command.uint(1, 3).uint(2, 100));
    expect(flow.readUInt32BE(0)).toBe(flow.length - 4);
    const read = decodeFrame(flow.subarray(4));
    expect(read.type).toBe(Command.FLOW);
    expect(read.command.uint(2)).toBe(100);
    expect(read.payload).toBeUndefined();

    const metadata = messageMetadata('edge-1', 5, 'lane-3', { kind: 'batch' });
    const send = sendFrame(3, 5, metadata, Buffer.from('payload'));
    expect(send.readUInt32BE(0)).toBe(send.length - 4);
    const commandSize = send.readUInt32BE(4);
    const at = 8 + commandSize;
    expect(send.readUInt16BE(at)).toBe(0x0e01);
    expect(send.readUInt32BE(at + 2)).toBe(crc32c(send.subarray(at + 6)));
    const decoded = decodeFrame(send.subarray(4));
    expect(decoded.type).toBe(Command.SEND);
    expect(decoded.command.uint(2)).toBe(5);
    expect(decoded.metadata?.string(1)).toBe('edge-1');
    expect(decoded.metadata?.string(6)).toBe('lane-3');
    expect(decoded.metadata?.messages(4).map((pair) => [pair.string(1), pair.string(2)])).toEqual([['kind', 'batch']]);
    expect(decoded.payload?.toString()).toBe('payload');
  });

  it('reads a MESSAGE with or without broker-entry metadata before the checksum', () => {
    const metadata = new ProtoWriter().string(1, 'p').uint(2, 1).uint(3, 1_700_000_000_000).string(6, 'k').finish();
    for (const brokerEntry of [undefined, new ProtoWriter().uint(1, 123).finish()]) {
      const frame = decodeFrame(messageFrame(metadata, Buffer.from('{"a":1}'), brokerEntry));
      expect(frame.type).toBe(Command.MESSAGE);
      expect(readMessageId(frame.command.message(2))).toEqual({ ledgerId: 2 ** 40, entryId: 300 });
      expect(frame.command.uint(3)).toBe(2);
      expect(frame.metadata?.string(6)).toBe('k');
      expect(frame.payload?.toString()).toBe('{"a":1}');
    }
  });

  it('names why an entry is not one readable message: batched, compressed or encrypted', () => {
    const plain = new ProtoWriter().string(1, 'p').uint(2, 1).uint(3, 1).finish();
    expect(unreadableEntry(ProtoFields.decode(plain))).toBeUndefined();
    expect(unreadableEntry(ProtoFields.decode(Buffer.concat([plain, new ProtoWriter().uint(11, 4).finish()])))).toMatch(/batch of 4 messages/);
    expect(unreadableEntry(ProtoFields.decode(Buffer.concat([plain, new ProtoWriter().uint(8, 3).finish()])))).toMatch(/compressed with ZSTD/);
    expect(unreadableEntry(ProtoFields.decode(Buffer.concat([plain, new ProtoWriter().message(13, (key) => key.string(1, 'k')).finish()])))).toMatch(/encrypted/);
  });
});
