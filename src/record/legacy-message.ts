import { COMPRESSION_IDS } from '../compression/codec.js'
import { CorruptCompressionError, UnsupportedCompressionError } from '../compression/errors.js'
import { codecForId } from '../compression/registry.js'
import { CorruptRecordError } from './errors.js'
import { readSafeInt64BE } from './int64.js'
import {
  BATCH_LENGTH_OFFSET,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RecordBatch,
  type TimestampType,
} from './record-batch.js'
import { makeDecodedRecord, type DecodedRecord, type RecordFactory, type RecordHeader } from './record.js'
import { NO_TIMESTAMP } from './record-input.js'

/**
 * Kafka's legacy message formats, magic 0 and 1 ("message sets"), which brokers before 0.11 wrote
 * and upgraded brokers keep in old segments. seglog reads them (dump, verify, reads, fetch) and
 * never writes them: appends refuse them. Big-endian throughout.
 *
 * | pos | size | field       | notes                                                          |
 * |----:|-----:|-------------|----------------------------------------------------------------|
 * |   0 |    8 | offset      | a wrapper's is the offset of its LAST inner message            |
 * |   8 |    4 | messageSize | bytes after this field (entry size - 12)                       |
 * |  12 |    4 | crc         | CRC-32 (IEEE, not CRC-32C) of bytes [16, end), unsigned        |
 * |  16 |    1 | magic       | 0 or 1                                                         |
 * |  17 |    1 | attributes  | 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4 in v1), 3 LogAppendTime (v1) |
 * |  18 |    8 | timestamp   | v1 only                                                        |
 * | 18/26 | 4 | keyLength   | -1 for a null key                                              |
 * |   … |    … | key         |                                                                |
 * |   … |    4 | valueLength | -1 for a null value                                            |
 * |   … |    … | value       | for a compressed wrapper: the compressed inner entries         |
 *
 * A compressed wrapper's value decompresses to more entries of the same layout (never compressed
 * again). Inner offsets of a magic-1 wrapper are relative (0, 1, 2 …) and made absolute from the
 * wrapper's offset, which is the last one's; a magic-0 wrapper's inner offsets are absolute. A
 * magic-0 lz4 frame carries the header checksum computed over the frame magic too (KAFKA-3160):
 * it is not checked. See docs/format/legacy-messages.md.
 */
export const LEGACY_CRC_OFFSET = 12
export const LEGACY_ATTRIBUTES_OFFSET = 17
export const LEGACY_TIMESTAMP_OFFSET = 18
/** crc + magic + attributes + keyLength + valueLength. */
export const LEGACY_V0_MESSAGE_OVERHEAD = 14
/** The v0 overhead plus the timestamp. */
export const LEGACY_V1_MESSAGE_OVERHEAD = 22
/** Smallest whole entry: log overhead plus an empty v0 message. */
export const LEGACY_MIN_ENTRY_SIZE = LOG_OVERHEAD + LEGACY_V0_MESSAGE_OVERHEAD
const COMPRESSION_MASK = 0x07
const LOG_APPEND_TIME_MASK = 0x08

/** Is `magic` one of the legacy formats? */
export function isLegacyMagic(magic: number): boolean {
  return magic === 0 || magic === 1
}

/** One message of a legacy entry, as Kafka's dump prints it (record lines carry the message's own CRC). */
export interface LegacyMessage {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  crc: number
  isValid: boolean
}

const NO_HEADERS = Object.freeze([]) as unknown as RecordHeader[]

/**
 * A view over one legacy entry (a plain message or a compressed wrapper) shaped as a RecordBatch,
 * so every reader of stored batches (dump, verify, reads, the consumer, fetch) walks legacy
 * segments with the same loop. Header fields a legacy entry does not have read as Kafka reports
 * them: no producer id, epoch or sequence, no leader epoch. A wrapper's first offset and record
 * count need its inner entries: they are decoded once, on first use.
 */
export class LegacyRecordBatch extends RecordBatch {
  private inner: LegacyMessage[] | null = null

  constructor(buffer: Buffer) {
    super(buffer, LEGACY_MIN_ENTRY_SIZE)
    const magic = buffer[MAGIC_OFFSET]!
    if (buffer.length < LOG_OVERHEAD + overheadOf(magic)) {
      throw new CorruptRecordError('bad-length', BATCH_LENGTH_OFFSET, `${buffer.length} bytes is below a magic-${magic} message`)
    }
  }

  override get baseOffset(): number {
    return this.compressionId === COMPRESSION_IDS.none ? this.lastOffset : this.messages()[0]!.offset
  }
  override get lastOffset(): number {
    return readSafeInt64BE(this.buffer, 0)
  }
  override get nextOffset(): number {
    return this.lastOffset + 1
  }
  override get lastOffsetDelta(): number {
    return this.lastOffset - this.baseOffset
  }
  override get partitionLeaderEpoch(): number {
    return NO_PARTITION_LEADER_EPOCH
  }
  override get crc(): number {
    return this.buffer.readUInt32BE(LEGACY_CRC_OFFSET)
  }
  override get attributes(): number {
    return this.buffer[LEGACY_ATTRIBUTES_OFFSET]!
  }
  override get compressionId(): number {
    return this.buffer[LEGACY_ATTRIBUTES_OFFSET]! & COMPRESSION_MASK
  }
  /** Magic 0 has no timestamps; Kafka calls that NoTimestampType (see `legacyTimestampTypeName`). */
  override get timestampType(): TimestampType {
    return this.magic === 1 && (this.buffer[LEGACY_ATTRIBUTES_OFFSET]! & LOG_APPEND_TIME_MASK) !== 0 ? 'LogAppendTime' : 'CreateTime'
  }
  override get isTransactional(): boolean {
    return false
  }
  override get isControl(): boolean {
    return false
  }
  override get hasDeleteHorizon(): boolean {
    return false
  }
  override get baseTimestamp(): number {
    return this.maxTimestamp
  }
  /** The wrapper's timestamp: Kafka sets it to the largest inner one (or the append time). */
  override get maxTimestamp(): number {
    return this.magic === 0 ? NO_TIMESTAMP : readSafeInt64BE(this.buffer, LEGACY_TIMESTAMP_OFFSET)
  }
  override get producerId(): number {
    return NO_PRODUCER_ID
  }
  override get producerEpoch(): number {
    return NO_PRODUCER_EPOCH
  }
  override get baseSequence(): number {
    return NO_SEQUENCE
  }
  override get lastSequence(): number {
    return NO_SEQUENCE
  }
  override get recordCount(): number {
    return this.compressionId === COMPRESSION_IDS.none ? 1 : this.messages().length
  }

  /** CRC-32 (IEEE) of bytes [16, end): what the stored crc covers. */
  override computeCrc(): number {
    return crc32(this.buffer, MAGIC_OFFSET, this.buffer.length)
  }

  override isValid(): boolean {
    return this.batchLength === this.buffer.length - LOG_OVERHEAD && this.crc === this.computeCrc()
  }

  override ensureValid(): void {
    if (this.batchLength !== this.buffer.length - LOG_OVERHEAD) {
      throw new CorruptRecordError(
        'bad-length',
        BATCH_LENGTH_OFFSET,
        `message size ${this.batchLength} but the entry holds ${this.buffer.length - LOG_OVERHEAD}`,
      )
    }
    const stored = this.crc
    const computed = this.computeCrc()
    if (stored !== computed)
      throw new CorruptRecordError('bad-crc', LEGACY_CRC_OFFSET, `stored crc ${stored} but the message computes to ${computed}`)
  }

  /** A legacy entry has no v2 records area; its messages come from `messages()`. */
  override recordsArea(): Buffer {
    throw new CorruptRecordError('bad-magic', MAGIC_OFFSET, `a magic-${this.magic} message has no record batch area`)
  }

  override records(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): IterableIterator<DecodedRecord> {
    return this.recordsAs(makeDecodedRecord, maxDecompressedBytes)
  }

  override recordsAs<T>(make: RecordFactory<T>, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): IterableIterator<T> {
    const messages = this.messages(maxDecompressedBytes)
    const out: T[] = []
    for (const message of messages) out.push(make(message.offset, message.timestamp, message.key, message.value, NO_HEADERS))
    return out[Symbol.iterator]()
  }

  /** The messages of this entry with absolute offsets: itself, or a wrapper's inner messages. */
  messages(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): LegacyMessage[] {
    if (this.inner === null) this.inner = decodeEntry(this.buffer, maxDecompressedBytes)
    return this.inner
  }
}

function overheadOf(magic: number): number {
  return magic === 0 ? LEGACY_V0_MESSAGE_OVERHEAD : LEGACY_V1_MESSAGE_OVERHEAD
}

/** The fields of one message at `position` of `buf` (an entry: offset, size, message). */
interface MessageFields {
  offset: number
  size: number
  magic: number
  attributes: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  crc: number
  isValid: boolean
}

function readMessage(buf: Buffer, position: number): MessageFields {
  if (buf.length - position < LOG_OVERHEAD) throw truncated(position, 'an entry header')
  const offset = readSafeInt64BE(buf, position)
  const messageSize = buf.readInt32BE(position + BATCH_LENGTH_OFFSET)
  const end = position + LOG_OVERHEAD + messageSize
  if (messageSize < LEGACY_V0_MESSAGE_OVERHEAD) {
    throw new CorruptRecordError(
      'bad-length',
      position + BATCH_LENGTH_OFFSET,
      `message size ${messageSize} is below ${LEGACY_V0_MESSAGE_OVERHEAD}`,
    )
  }
  if (end > buf.length) throw truncated(position, `a ${messageSize}-byte message`)
  const magic = buf.readInt8(position + MAGIC_OFFSET)
  if (!isLegacyMagic(magic))
    throw new CorruptRecordError('bad-magic', position + MAGIC_OFFSET, `magic ${magic} inside a legacy message set`)
  if (messageSize < overheadOf(magic)) {
    throw new CorruptRecordError(
      'bad-length',
      position + BATCH_LENGTH_OFFSET,
      `message size ${messageSize} is below a magic-${magic} message`,
    )
  }
  const attributes = buf[position + LEGACY_ATTRIBUTES_OFFSET]!
  const timestamp = magic === 0 ? NO_TIMESTAMP : readSafeInt64BE(buf, position + LEGACY_TIMESTAMP_OFFSET)
  const cursor = { position: position + LEGACY_TIMESTAMP_OFFSET + (magic === 0 ? 0 : 8) }
  const key = readBytes(buf, cursor, end)
  const value = readBytes(buf, cursor, end)
  if (cursor.position !== end) {
    throw new CorruptRecordError('bad-length', cursor.position, `${end - cursor.position} bytes left after the message value`)
  }
  const crc = buf.readUInt32BE(position + LEGACY_CRC_OFFSET)
  return {
    offset,
    size: end - position,
    magic,
    attributes,
    timestamp,
    key,
    value,
    crc,
    isValid: crc === crc32(buf, position + MAGIC_OFFSET, end),
  }
}

function readBytes(buf: Buffer, cursor: { position: number }, end: number): Buffer | null {
  if (end - cursor.position < 4) throw truncated(cursor.position, 'a length field')
  const length = buf.readInt32BE(cursor.position)
  cursor.position += 4
  if (length === -1) return null
  if (length < -1) throw new CorruptRecordError('bad-length', cursor.position - 4, `negative length ${length}`)
  if (length > end - cursor.position) throw truncated(cursor.position, `${length} bytes`)
  const bytes = buf.subarray(cursor.position, cursor.position + length)
  cursor.position += length
  return bytes
}

function truncated(position: number, what: string): CorruptRecordError {
  return new CorruptRecordError('truncated-record', position, `the message set ends inside ${what}`)
}

/** The messages of the entry `buf` holds: itself when uncompressed, else its inner ones. */
function decodeEntry(buf: Buffer, maxDecompressedBytes: number): LegacyMessage[] {
  const wrapper = readMessage(buf, 0)
  const codecId = wrapper.attributes & COMPRESSION_MASK
  if (codecId === COMPRESSION_IDS.none) return [toMessage(wrapper, wrapper.offset, wrapper.timestamp)]
  if (wrapper.value === null) throw new CorruptRecordError('bad-length', LEGACY_TIMESTAMP_OFFSET, 'a compressed wrapper without a value')
  const valuePosition = buf.length - wrapper.value.length
  const area = decompress(wrapper.value, codecId, wrapper.magic, valuePosition, maxDecompressedBytes)
  const inner: MessageFields[] = []
  for (let position = 0; position < area.length;) {
    let message: MessageFields
    try {
      message = readMessage(area, position)
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error
      throw new CorruptRecordError(error.reason, valuePosition, `in the decompressed messages at byte ${error.position}: ${error.detail}`)
    }
    if ((message.attributes & COMPRESSION_MASK) !== COMPRESSION_IDS.none) {
      throw new CorruptRecordError('bad-compression-frame', valuePosition, 'a compressed message inside a compressed wrapper')
    }
    inner.push(message)
    position += message.size
  }
  if (inner.length === 0) throw new CorruptRecordError('bad-length', valuePosition, 'a compressed wrapper with no messages')
  // Magic 1: inner offsets count from 0 and the wrapper carries the last one's absolute offset.
  const shift = wrapper.magic === 0 ? 0 : wrapper.offset - inner[inner.length - 1]!.offset
  const isLogAppendTime = wrapper.magic === 1 && (wrapper.attributes & LOG_APPEND_TIME_MASK) !== 0
  const messages: LegacyMessage[] = []
  for (const message of inner)
    messages.push(toMessage(message, message.offset + shift, isLogAppendTime ? wrapper.timestamp : message.timestamp))
  return messages
}

function toMessage(fields: MessageFields, offset: number, timestamp: number): LegacyMessage {
  return { offset, timestamp, key: fields.key, value: fields.value, crc: fields.crc, isValid: fields.isValid }
}

function decompress(value: Buffer, codecId: number, magic: number, valuePosition: number, maxBytes: number): Buffer {
  if (codecId > COMPRESSION_IDS.lz4) {
    throw new CorruptRecordError('unsupported-compression', LEGACY_ATTRIBUTES_OFFSET, `codec ${codecId} in a magic-${magic} message`)
  }
  let codec
  try {
    codec = codecForId(codecId)
  } catch (error) {
    if (error instanceof UnsupportedCompressionError) {
      throw new CorruptRecordError('unsupported-compression', LEGACY_ATTRIBUTES_OFFSET, error.message, undefined, { cause: error })
    }
    throw error
  }
  try {
    // The lz4 codec skips the header checksum that magic-0 writers computed wrongly.
    return codec.decompress(value, maxBytes, magic === 0)
  } catch (error) {
    if (error instanceof CorruptCompressionError) {
      throw new CorruptRecordError('bad-compression-frame', valuePosition + error.position, `${codec.name}: ${error.detail}`, undefined, {
        cause: error,
      })
    }
    throw error
  }
}

/** Kafka's name for an entry's timestamp type: magic 0 has none. */
export function legacyTimestampTypeName(batch: RecordBatch): string {
  return batch.magic === 0 ? 'NoTimestampType' : batch.timestampType
}

const CRC32_TABLE = makeCrc32Table()

function makeCrc32Table(): Int32Array {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
}

/** CRC-32 (IEEE 802.3, java.util.zip.CRC32) of `buf[start, end)`; legacy messages only, so a plain table loop. */
export function crc32(buf: Buffer, start: number, end: number): number {
  let crc = -1
  for (let position = start; position < end; position++) crc = CRC32_TABLE[(crc ^ buf[position]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
