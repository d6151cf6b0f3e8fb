import { crc32c } from './crc32c.js';
import { ProtoFields, ProtoWriter } from './protobuf.js';

/** BaseCommand types (PulsarApi.proto) this client sends or handles; the command's field number is the same. */
export const Command = {
  CONNECT: 2,
  CONNECTED: 3,
  SUBSCRIBE: 4,
  PRODUCER: 5,
  SEND: 6,
  SEND_RECEIPT: 7,
  SEND_ERROR: 8,
  MESSAGE: 9,
  ACK: 10,
  FLOW: 11,
  SUCCESS: 13,
  ERROR: 14,
  CLOSE_PRODUCER: 15,
  CLOSE_CONSUMER: 16,
  PRODUCER_SUCCESS: 17,
  PING: 18,
  PONG: 19,
  REDELIVER_UNACKNOWLEDGED_MESSAGES: 20,
  PARTITIONED_METADATA: 21,
  PARTITIONED_METADATA_RESPONSE: 22,
  LOOKUP: 23,
  LOOKUP_RESPONSE: 24,
  AUTH_CHALLENGE: 36,
  AUTH_RESPONSE: 37,
} as const;

/** Protocol version announced in CONNECT: Key_Shared needs 14 or later. */
export const PROTOCOL_VERSION = 19;
const MAGIC_CRC32C = 0x0e01;
const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;

export interface MessageIdParts {
  ledgerId: number;
  entryId: number;
}

/** A frame as it arrived: the command's type, its fields, and for MESSAGE the metadata and payload. */
export interface IncomingFrame {
  type: number;
  command: ProtoFields;
  metadata?: ProtoFields;
  payload?: Buffer;
}

/** A command with no payload: [total size][command size][BaseCommand]. */
export function simpleFrame(type: number, write: (command: ProtoWriter) => void): Buffer {
  const command = new ProtoWriter().uint(1, type).message(type, write).finish();
  const frame = Buffer.allocUnsafe(8 + command.length);
  frame.writeUInt32BE(4 + command.length, 0);
  frame.writeUInt32BE(command.length, 4);
  command.copy(frame, 8);
  return frame;
}

/** SEND with its payload: the command, then magic, CRC-32C, metadata size, metadata, payload. */
export function sendFrame(producerId: number, sequenceId: number, metadata: Buffer, payload: Uint8Array): Buffer {
  const command = new ProtoWriter()
    .uint(1, Command.SEND)
    .message(Command.SEND, (send) => send.uint(1, producerId).uint(2, sequenceId).uint(3, 1))
    .finish();
  const checksummed = 4 + metadata.length + payload.length;
  const total = 4 + command.length + 2 + 4 + checksummed;
  const frame = Buffer.allocUnsafe(4 + total);
  let at = frame.writeUInt32BE(total, 0);
  at = frame.writeUInt32BE(command.length, at);
  at += command.copy(frame, at);
  at = frame.writeUInt16BE(MAGIC_CRC32C, at);
  const checksumAt = at;
  at += 4;
  const body = frame.subarray(at);
  at = frame.writeUInt32BE(metadata.length, at);
  at += metadata.copy(frame, at);
  frame.set(payload, at);
  frame.writeUInt32BE(crc32c(body), checksumAt);
  return frame;
}

export function messageMetadata(producerName: string, sequenceId: number, key: string, properties: Record<string, string> | undefined): Buffer {
  const writer = new ProtoWriter().string(1, producerName).uint(2, sequenceId).uint(3, Date.now());
  for (const [name, value] of Object.entries(properties ?? {})) writer.message(4, (pair) => pair.string(1, name).string(2, value));
  return writer.string(6, key).finish();
}

export function writeMessageId(writer: ProtoWriter, id: MessageIdParts): void {
  writer.uint(1, id.ledgerId).uint(2, id.entryId);
}

export function readMessageId(fields: ProtoFields | undefined): MessageIdParts {
  return { ledgerId: fields?.uint(1) ?? 0, entryId: fields?.uint(2) ?? 0 };
}

/** Decodes one whole frame (without its total-size prefix). */
export function decodeFrame(frame: Buffer): IncomingFrame {
  const commandSize = frame.readUInt32BE(0);
  if (commandSize + 4 > frame.length) throw new RangeError('pulsar frame shorter than its command');
  const base = ProtoFields.decode(frame.subarray(4, 4 + commandSize));
  const type = base.uint(1);
  const command = base.message(type) ?? ProtoFields.decode(Buffer.alloc(0));
  let at = 4 + commandSize;
  if (at >= frame.length) return { type, command };
  if (frame.readUInt16BE(at) === MAGIC_BROKER_ENTRY_METADATA) at += 6 + frame.readUInt32BE(at + 2);
  if (frame.readUInt16BE(at) === MAGIC_CRC32C) at += 6;
  const metadataSize = frame.readUInt32BE(at);
  const metadata = ProtoFields.decode(frame.subarray(at + 4, at + 4 + metadataSize));
  return { type, command, metadata, payload: frame.subarray(at + 4 + metadataSize) };
}

const COMPRESSIONS = ['none', 'LZ4', 'ZLIB', 'ZSTD', 'SNAPPY'];

/**
 * Why a message cannot be read as one Inflow payload, from its metadata: a batch from a batching
 * producer, a compressed or an encrypted payload (Inflow's producers do none of these; another
 * client publishing to its topics might). Undefined when it can be read.
 */
export function unreadableEntry(metadata: ProtoFields): string | undefined {
  if (metadata.has(11)) return `a batch of ${metadata.uint(11)} messages from a batching producer: Inflow reads single messages (publish with batching off)`;
  const compression = metadata.uint(8);
  if (compression !== 0) return `a payload compressed with ${COMPRESSIONS[compression] ?? `codec ${compression}`}: Inflow reads uncompressed messages`;
  if (metadata.has(13)) return 'an encrypted payload: Inflow reads unencrypted messages';
  return undefined;
}

/** Server errors (PulsarApi.proto ServerError) by number, for messages. */
const SERVER_ERRORS = ['UnknownError', 'MetadataError', 'PersistenceError', 'AuthenticationError', 'AuthorizationError', 'ConsumerBusy', 'ServiceNotReady', 'ProducerBlockedQuotaExceededError', 'ProducerBlockedQuotaExceededException', 'ChecksumError', 'UnsupportedVersionError', 'TopicNotFound', 'SubscriptionNotFound', 'ConsumerNotFound', 'TooManyRequests', 'TopicTerminatedError', 'ProducerBusy', 'InvalidTopicName', 'IncompatibleSchema', 'ConsumerAssignError'];

export function serverError(code: number): string {
  return SERVER_ERRORS[code] ?? `ServerError ${code}`;
}
