/**
 * The little of Protocol Buffers (proto2 wire format) that Pulsar's binary protocol needs:
 * varints, length-delimited fields and nested messages, written and read by field number.
 * Integers are JavaScript numbers: exact up to 2^53, far beyond the ledger, entry, sequence
 * and request ids a broker hands out.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtoWriter {
  private readonly bytes: number[] = [];

  uint(field: number, value: number): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.uint(field, value ? 1 : 0);
  }

  string(field: number, value: string): this {
    return this.raw(field, Buffer.from(value, 'utf8'));
  }

  raw(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  message(field: number, write: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.raw(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.from(this.bytes);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a protobuf unsigned integer: ${value}`);
    let rest = value;
    while (rest > 0x7f) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }
}

/** The fields of one decoded message: varints as numbers, length-delimited ones as byte views. */
export class ProtoFields {
  private constructor(private readonly values: Map<number, Array<number | Buffer>>) {}

  static decode(buffer: Buffer): ProtoFields {
    const values = new Map<number, Array<number | Buffer>>();
    let at = 0;
    const varint = (): number => {
      let result = 0;
      let scale = 1;
      for (;;) {
        if (at >= buffer.length) throw new RangeError('protobuf varint runs past the end');
        const byte = buffer[at++] as number;
        result += (byte & 0x7f) * scale;
        if (byte < 0x80) return result;
        scale *= 0x80;
        if (scale > 2 ** 63) throw new RangeError('protobuf varint too long');
      }
    };
    while (at < buffer.length) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      let value: number | Buffer;
      if (wireType === VARINT) value = varint();
      else if (wireType === LENGTH_DELIMITED) {
        const length = varint();
        if (at + length > buffer.length) throw new RangeError('protobuf field runs past the end');
        value = buffer.subarray(at, at + length);
        at += length;
      } else if (wireType === FIXED64 || wireType === FIXED32) {
        at += wireType === FIXED64 ? 8 : 4;
        continue;
      } else throw new RangeError(`protobuf wire type ${wireType} is not supported`);
      const list = values.get(field);
      if (list) list.push(value);
      else values.set(field, [value]);
    }
    return new ProtoFields(values);
  }

  has(field: number): boolean {
    return this.values.has(field);
  }

  uint(field: number, fallback = 0): number {
    const value = this.values.get(field)?.[0];
    return typeof value === 'number' ? value : fallback;
  }

  bool(field: number, fallback = false): boolean {
    const value = this.values.get(field)?.[0];
    return typeof value === 'number' ? value !== 0 : fallback;
  }

  string(field: number): string | undefined {
    const value = this.values.get(field)?.[0];
    return value instanceof Buffer ? value.toString('utf8') : undefined;
  }

  bytes(field: number): Buffer | undefined {
    const value = this.values.get(field)?.[0];
    return value instanceof Buffer ? value : undefined;
  }

  message(field: number): ProtoFields | undefined {
    const value = this.bytes(field);
    return value ? ProtoFields.decode(value) : undefined;
  }

  messages(field: number): ProtoFields[] {
    return (this.values.get(field) ?? []).filter((value): value is Buffer => value instanceof Buffer).map((value) => ProtoFields.decode(value));
  }
}
