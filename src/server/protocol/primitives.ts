import { ProtocolDecodeError } from './errors.js'

/**
 * Kafka protocol primitives (all integers big-endian, two's complement):
 *
 * | type             | bytes       | encoding                                                                   |
 * |------------------|-------------|----------------------------------------------------------------------------|
 * | bool             | 1           | 0 = false, anything else = true (written as 1)                             |
 * | int8/16/32/64    | 1/2/4/8     | signed; int64 is read exactly into a safe integer, beyond 2^53 is rejected |
 * | uint16, uint32   | 2, 4        | unsigned                                                                   |
 * | float64          | 8           | IEEE 754 double                                                            |
 * | uuid             | 16          | raw bytes; shown as Kafka does, 22 characters of unpadded base64url        |
 * | unsigned varint  | 1-5         | LEB128: 7 bits a byte, low group first, high bit = more follows; <= 2^32-1 |
 * | string           | 2 + N       | int16 N, then N bytes of UTF-8; nullable: N = -1 is null                   |
 * | compact string   | uvarint + N | unsigned varint N+1, then N bytes; 0 is null                               |
 * | bytes, records   | 4 + N       | int32 N, then N bytes; nullable: N = -1 is null                            |
 * | compact bytes    | uvarint + N | unsigned varint N+1, then N bytes; 0 is null                               |
 * | array            | 4 + items   | int32 count, then each item; nullable: count = -1 is null                  |
 * | compact array    | uvarint + … | unsigned varint count+1, then each item; 0 is null                         |
 * | tagged fields    | uvarint + … | count, then per field: uvarint tag, uvarint size, size bytes of the value  |
 *
 * Flexible versions (a message's `flexibleVersions`) use the compact forms and end every struct with a
 * tagged-field section; older versions use the fixed-length forms and have no tagged fields. Signed
 * zigzag varints appear only inside record batches, which this codec passes through untouched.
 * `records` is a length-prefixed region of record batches, kept as a slice of the frame.
 */

export const INT16_SIZE = 2
export const INT32_SIZE = 4
export const INT64_SIZE = 8
export const UUID_SIZE = 16
/** An unsigned varint of a 32-bit value takes at most this many bytes. */
export const MAX_UVARINT_SIZE = 5

const TWO_POW_32 = 0x1_0000_0000

/** A bounded cursor over one frame. Every read checks `end` first, so a short frame is a typed error. */
export class FrameReader {
  buf: Buffer
  position: number
  end: number

  constructor(buf: Buffer, position = 0, end = buf.length) {
    this.buf = buf
    this.position = position
    this.end = end
  }

  get remaining(): number {
    return this.end - this.position
  }

  /** Claims `size` bytes and returns where they start. */
  take(size: number): number {
    const start = this.position
    if (size > this.end - start) throw new ProtocolDecodeError('truncated', start, `needs ${size} bytes, ${this.end - start} left`)
    this.position = start + size
    return start
  }

  readBool(): boolean {
    return this.buf[this.take(1)] !== 0
  }

  readInt8(): number {
    return this.buf.readInt8(this.take(1))
  }

  readInt16(): number {
    return this.buf.readInt16BE(this.take(INT16_SIZE))
  }

  readUint16(): number {
    return this.buf.readUInt16BE(this.take(INT16_SIZE))
  }

  readInt32(): number {
    return this.buf.readInt32BE(this.take(INT32_SIZE))
  }

  readUint32(): number {
    return this.buf.readUInt32BE(this.take(INT32_SIZE))
  }

  readInt64(): number {
    const start = this.take(INT64_SIZE)
    const value = this.buf.readInt32BE(start) * TWO_POW_32 + this.buf.readUInt32BE(start + 4)
    if (!Number.isSafeInteger(value))
      throw new ProtocolDecodeError('unsafe-int64', start, `${this.buf.readBigInt64BE(start)} is outside 2^53`)
    return value
  }

  readFloat64(): number {
    return this.buf.readDoubleBE(this.take(INT64_SIZE))
  }

  readUuid(): string {
    const start = this.take(UUID_SIZE)
    return this.buf.toString('base64url', start, start + UUID_SIZE)
  }

  /** An unsigned varint of at most 32 bits; a sixth byte, or a fifth with bits above 2^32, is corrupt. */
  readUvarint(): number {
    const start = this.position
    let value = 0
    let multiplier = 1
    for (let count = 0; count < MAX_UVARINT_SIZE; count++) {
      if (this.position >= this.end) throw new ProtocolDecodeError('truncated', this.position, 'unsigned varint runs past the end')
      const byte = this.buf[this.position++]!
      if (count === MAX_UVARINT_SIZE - 1 && byte > 0x0f) break
      value += (byte & 0x7f) * multiplier
      if ((byte & 0x80) === 0) return value
      multiplier *= 128
    }
    throw new ProtocolDecodeError('invalid-varint', start, 'unsigned varint longer than 32 bits')
  }

  /**
   * A length or count prefix: int16 (strings) or int32 (bytes, arrays) or, compact, uvarint N+1.
   * Returns -1 for null; a negative length other than -1 is corrupt.
   */
  readLength(isCompact: boolean, isShort: boolean): number {
    const start = this.position
    const length = isCompact ? this.readUvarint() - 1 : isShort ? this.readInt16() : this.readInt32()
    if (length < -1) throw new ProtocolDecodeError('negative-length', start, `length ${length}`)
    return length
  }

  /** Claims a `length`-byte region that must lie inside the frame. `lengthAt` is where its prefix began. */
  region(length: number, lengthAt: number): number {
    if (length > this.end - this.position) {
      throw new ProtocolDecodeError('length-past-end', lengthAt, `length ${length} with ${this.end - this.position} bytes left`)
    }
    const start = this.position
    this.position = start + length
    return start
  }
}

export function sizeOfUvarint(value: number): number {
  if (value < 0x80) return 1
  if (value < 0x4000) return 2
  if (value < 0x20_0000) return 3
  if (value < 0x1000_0000) return 4
  return 5
}

/** Writes an unsigned varint of at most 32 bits; returns the position after it. */
export function writeUvarint(buf: Buffer, value: number, position: number): number {
  let rest = value
  while (rest >= 0x80) {
    buf[position++] = (rest & 0x7f) | 0x80
    rest = Math.floor(rest / 128)
  }
  buf[position++] = rest
  return position
}

/** Writes a safe integer as a big-endian int64. */
export function writeInt64(buf: Buffer, value: number, position: number): void {
  const high = Math.floor(value / TWO_POW_32)
  buf.writeInt32BE(high, position)
  buf.writeUInt32BE(value - high * TWO_POW_32, position + 4)
}

const UUID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/

/** A uuid as Kafka prints it: 22 base64url characters whose last one carries no stray bits. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value)
}
