import { CorruptRecordError } from '../record/errors.js'
import { readSafeInt64BE } from '../record/int64.js'

/**
 * The field types of Kafka's coordinator records (`__consumer_offsets` keys and values), read and
 * written the two ways Kafka's schemas lay them out:
 *
 * | type            | classic versions                      | flexible versions                            |
 * |-----------------|---------------------------------------|----------------------------------------------|
 * | int16/32/64     | big-endian                            | big-endian                                   |
 * | string          | int16 length + UTF-8                  | unsigned varint (length + 1) + UTF-8         |
 * | nullable string | int16 length, -1 = null               | unsigned varint (length + 1), 0 = null        |
 * | bytes           | int32 length + bytes                  | unsigned varint (length + 1) + bytes         |
 * | array           | int32 count + elements                | unsigned varint (count + 1) + elements       |
 * | tagged fields   | (none)                                | unsigned varint count; per field: tag, size, bytes |
 *
 * A reader over one key or value; every read checks the bytes are there and throws
 * CorruptRecordError ('truncated-record') at the position where they ran out. Pure.
 */
export class FieldReader {
  position = 0

  constructor(
    private readonly buf: Buffer,
    /** Whether the version being read is a flexible one (compact lengths, tagged fields). */
    readonly isFlexible = false,
    private readonly what = 'offsets record',
  ) {}

  private need(bytes: number): void {
    if (this.position + bytes > this.buf.length)
      throw new CorruptRecordError('truncated-record', this.position, `${this.what} needs ${bytes} more bytes`)
  }

  int16(): number {
    this.need(2)
    const value = this.buf.readInt16BE(this.position)
    this.position += 2
    return value
  }

  int32(): number {
    this.need(4)
    const value = this.buf.readInt32BE(this.position)
    this.position += 4
    return value
  }

  int64(): number {
    this.need(8)
    const value = readSafeInt64BE(this.buf, this.position)
    this.position += 8
    return value
  }

  /** Kafka's unsigned varint: at most 5 bytes, 7 bits each, low group first. */
  unsignedVarint(): number {
    const start = this.position
    let value = 0
    for (let shift = 0; shift <= 28; shift += 7) {
      this.need(1)
      const byte = this.buf[this.position++]!
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return value
    }
    throw new CorruptRecordError('varint-overflow', start, `${this.what}: unsigned varint longer than 5 bytes`)
  }

  /** A length (or count) field: -1 (or 0 in a compact field) means null. */
  private length(classicSize: 2 | 4): number {
    if (this.isFlexible) return this.unsignedVarint() - 1
    return classicSize === 2 ? this.int16() : this.int32()
  }

  nullableString(): string | null {
    const start = this.position
    const length = this.length(2)
    if (length < -1) throw new CorruptRecordError('bad-length', start, `${this.what}: string length ${length}`)
    if (length === -1) return null
    this.need(length)
    const text = this.buf.toString('utf8', this.position, this.position + length)
    this.position += length
    return text
  }

  string(): string {
    const start = this.position
    const text = this.nullableString()
    if (text === null) throw new CorruptRecordError('bad-length', start, `${this.what}: null where a string must be`)
    return text
  }

  /** Copied out of the record, so a long-lived value does not pin the read buffer. */
  nullableBytes(): Buffer | null {
    const start = this.position
    const length = this.length(4)
    if (length < -1) throw new CorruptRecordError('bad-length', start, `${this.what}: bytes length ${length}`)
    if (length === -1) return null
    this.need(length)
    const bytes = Buffer.from(this.buf.subarray(this.position, this.position + length))
    this.position += length
    return bytes
  }

  bytes(): Buffer {
    const start = this.position
    const bytes = this.nullableBytes()
    if (bytes === null) throw new CorruptRecordError('bad-length', start, `${this.what}: null where bytes must be`)
    return bytes
  }

  /** An array's element count; each element must still hold at least one byte, so a huge count cannot allocate. */
  arrayCount(): number {
    const start = this.position
    const count = this.length(4)
    if (count < 0 || count > this.buf.length - this.position)
      throw new CorruptRecordError('bad-length', start, `${this.what}: array of ${count} elements`)
    return count
  }

  /** Skips a flexible struct's tagged fields (none is defined for these records yet); returns how many. */
  skipTaggedFields(): number {
    if (!this.isFlexible) return 0
    const count = this.unsignedVarint()
    for (let slot = 0; slot < count; slot++) {
      this.unsignedVarint()
      const size = this.unsignedVarint()
      this.need(size)
      this.position += size
    }
    return count
  }
}

/** Writes the classic (non-flexible) layouts; sizes are computed by the caller's `sizeOf*`. */
export function sizeOfString(text: string | null): number {
  return 2 + (text === null ? 0 : Buffer.byteLength(text, 'utf8'))
}

export function writeString(buf: Buffer, text: string | null, at: number): number {
  if (text === null) return buf.writeInt16BE(-1, at)
  const length = buf.write(text, at + 2, 'utf8')
  buf.writeInt16BE(length, at)
  return at + 2 + length
}

export function writeBytes(buf: Buffer, bytes: Buffer, at: number): number {
  at = buf.writeInt32BE(bytes.length, at)
  bytes.copy(buf, at)
  return at + bytes.length
}
