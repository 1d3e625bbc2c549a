import { COMPRESSION_IDS, type Codec, type CompressionId, type CompressionName } from '../compression/codec.js'
import { CorruptCompressionError, UnsupportedCompressionError } from '../compression/errors.js'
import { codecForId } from '../compression/registry.js'
import { crc32c } from './crc32c.js'
import { CorruptRecordError } from './errors.js'
import { readSafeInt64BE } from './int64.js'
import { makeDecodedRecord, readRecord, type DecodedRecord, type RecordFactory } from './record.js'
import { NO_TIMESTAMP } from './record-input.js'

/**
 * Record batch v2 (magic 2), byte-identical to Kafka's. Big-endian throughout.
 *
 * | pos | size | field                | notes                                                     |
 * |----:|-----:|----------------------|-----------------------------------------------------------|
 * |   0 |    8 | baseOffset           | assigned by the log on append; outside the CRC            |
 * |   8 |    4 | batchLength          | bytes after this field (batch size - 12)                  |
 * |  12 |    4 | partitionLeaderEpoch | stamped by the broker; outside the CRC                    |
 * |  16 |    1 | magic                | 2; outside the CRC                                        |
 * |  17 |    4 | crc                  | CRC-32C of bytes [21, end), unsigned                      |
 * |  21 |    2 | attributes           | 0-2 codec, 3 timestamp type, 4 txn, 5 control, 6 horizon  |
 * |  23 |    4 | lastOffsetDelta      |                                                           |
 * |  27 |    8 | baseTimestamp        | first record's timestamp (or the delete horizon, bit 6)   |
 * |  35 |    8 | maxTimestamp         |                                                           |
 * |  43 |    8 | producerId           | -1 when not idempotent                                    |
 * |  51 |    2 | producerEpoch        | -1 when none                                              |
 * |  53 |    4 | baseSequence         | -1 when none                                              |
 * |  57 |    4 | recordsCount         | uncompressed count, even when compressed                  |
 * |  61 |    … | records              | records, or one compressed stream of all of them          |
 *
 * The CRC leaves out baseOffset, batchLength, partitionLeaderEpoch and magic, so offsets can be
 * assigned to a batch without recomputing it. See docs/format/record-batch.md.
 */
export const BASE_OFFSET_OFFSET = 0
export const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORDS_COUNT_OFFSET = 57
export const BATCH_HEADER_SIZE = 61
/** baseOffset + batchLength: the part of a batch outside batchLength. */
export const LOG_OVERHEAD = 12
/** Bytes needed to learn a batch's size and magic. */
export const BATCH_PREFIX_SIZE = 17
export const CURRENT_MAGIC = 2

const COMPRESSION_MASK = 0x07
export const TIMESTAMP_TYPE_MASK = 0x08
export const TRANSACTIONAL_MASK = 0x10
export const CONTROL_MASK = 0x20
const DELETE_HORIZON_MASK = 0x40

export { NO_TIMESTAMP }
export const NO_PRODUCER_ID = -1
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
export const NO_PARTITION_LEADER_EPOCH = -1

/** Default cap on a batch's decompressed records area (a hostile frame cannot allocate more). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

export type TimestampType = 'CreateTime' | 'LogAppendTime'

/**
 * A view over the bytes of one whole batch. Header fields are read from the buffer when asked, as
 * Kafka's DefaultRecordBatch does; records are only decoded (and decompressed) by `records()`.
 * The view does not check the CRC by itself: call `ensureValid()` first when the bytes come from
 * outside.
 */
export class RecordBatch {
  readonly buffer: Buffer

  /**
   * `buffer` must hold exactly one batch (the scanner returns such views). Anything shorter than a
   * batch header is rejected here, so no header getter can read past the end.
   */
  constructor(buffer: Buffer, minimumSize = BATCH_HEADER_SIZE) {
    // minimumSize: the legacy message view (legacy-message.ts) overrides every getter and is smaller.
    if (buffer.length < minimumSize) {
      throw new CorruptRecordError('bad-length', 0, `${buffer.length} bytes is below the ${minimumSize}-byte batch header`)
    }
    this.buffer = buffer
  }

  get sizeInBytes(): number {
    return this.buffer.length
  }
  get baseOffset(): number {
    return readSafeInt64BE(this.buffer, BASE_OFFSET_OFFSET)
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(BATCH_LENGTH_OFFSET)
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET)
  }
  get magic(): number {
    return this.buffer.readInt8(MAGIC_OFFSET)
  }
  /** The CRC stored in the batch. */
  get crc(): number {
    return this.buffer.readUInt32BE(CRC_OFFSET)
  }
  get attributes(): number {
    return this.buffer.readInt16BE(ATTRIBUTES_OFFSET)
  }
  get compressionId(): number {
    return this.buffer[ATTRIBUTES_OFFSET + 1]! & COMPRESSION_MASK
  }
  get timestampType(): TimestampType {
    return this.buffer[ATTRIBUTES_OFFSET + 1]! & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime'
  }
  get isTransactional(): boolean {
    return (this.buffer[ATTRIBUTES_OFFSET + 1]! & TRANSACTIONAL_MASK) !== 0
  }
  get isControl(): boolean {
    return (this.buffer[ATTRIBUTES_OFFSET + 1]! & CONTROL_MASK) !== 0
  }
  get hasDeleteHorizon(): boolean {
    return (this.buffer[ATTRIBUTES_OFFSET + 1]! & DELETE_HORIZON_MASK) !== 0
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(LAST_OFFSET_DELTA_OFFSET)
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta
  }
  get nextOffset(): number {
    return this.lastOffset + 1
  }
  get baseTimestamp(): number {
    return readSafeInt64BE(this.buffer, BASE_TIMESTAMP_OFFSET)
  }
  get maxTimestamp(): number {
    return readSafeInt64BE(this.buffer, MAX_TIMESTAMP_OFFSET)
  }
  get producerId(): number {
    return readSafeInt64BE(this.buffer, PRODUCER_ID_OFFSET)
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(PRODUCER_EPOCH_OFFSET)
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(BASE_SEQUENCE_OFFSET)
  }
  /** Last sequence number of the batch, wrapping past Int32.MAX to 0 as Kafka does. */
  get lastSequence(): number {
    const base = this.baseSequence
    if (base < 0) return NO_SEQUENCE
    return sequenceAfter(base, this.lastOffsetDelta)
  }
  get recordCount(): number {
    return this.buffer.readInt32BE(RECORDS_COUNT_OFFSET)
  }
  get hasProducerId(): boolean {
    return this.producerId >= 0
  }

  /** CRC-32C of the bytes the stored CRC covers. */
  computeCrc(): number {
    return crc32c(this.buffer.subarray(ATTRIBUTES_OFFSET))
  }

  isValid(): boolean {
    return this.batchLength === this.buffer.length - LOG_OVERHEAD && this.crc === this.computeCrc()
  }

  /**
   * Throws CorruptRecordError: 'bad-length' when batchLength disagrees with the view's size (the CRC
   * does not cover batchLength), 'bad-crc' when the stored CRC does not match the bytes.
   */
  ensureValid(): void {
    const batchLength = this.batchLength
    if (batchLength !== this.buffer.length - LOG_OVERHEAD) {
      throw new CorruptRecordError(
        'bad-length',
        BATCH_LENGTH_OFFSET,
        `batch length ${batchLength} but the batch holds ${this.buffer.length - LOG_OVERHEAD} bytes after it`,
      )
    }
    const stored = this.crc
    const computed = this.computeCrc()
    if (stored !== computed) {
      throw new CorruptRecordError('bad-crc', 0, `stored crc ${stored} but the batch computes to ${computed}`)
    }
  }

  /**
   * The records area, decompressed if needed. For compressed batches this allocates the
   * decompressed bytes; the header alone never does.
   */
  recordsArea(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
    const area = this.buffer.subarray(BATCH_HEADER_SIZE)
    const id = this.compressionId
    if (id === COMPRESSION_IDS.none) return area
    let codec: Codec
    try {
      codec = codecForId(id)
    } catch (error) {
      if (error instanceof UnsupportedCompressionError) {
        throw new CorruptRecordError('unsupported-compression', ATTRIBUTES_OFFSET, error.message, undefined, { cause: error })
      }
      throw error
    }
    try {
      return codec.decompress(area, maxDecompressedBytes)
    } catch (error) {
      if (error instanceof CorruptCompressionError) {
        throw new CorruptRecordError(
          'bad-compression-frame',
          BATCH_HEADER_SIZE + error.position,
          `${codec.name}: ${error.detail}`,
          undefined,
          { cause: error },
        )
      }
      throw error
    }
  }

  /**
   * Decodes every record. Record offsets and timestamps are absolute; for LogAppendTime batches
   * every record reports the batch's maxTimestamp, as Kafka does. Each record is a new object; the
   * iterator's result object (`{ done, value }`) is one, filled again by every `next()`.
   */
  records(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): IterableIterator<DecodedRecord> {
    return new RecordIterator(this, maxDecompressedBytes, makeDecodedRecord)
  }

  /** Like `records()`, but each record is built by `make` (one allocation for another shape). */
  recordsAs<T>(make: RecordFactory<T>, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): IterableIterator<T> {
    return new RecordIterator(this, maxDecompressedBytes, make)
  }

  /**
   * Every record, built by `make`, as an array: for readers that take a batch at once (the
   * consumer), with no iterator step and result object per record.
   */
  recordArrayAs<T>(make: RecordFactory<T>, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): T[] {
    const iterator = this.recordsAs(make, maxDecompressedBytes)
    return iterator instanceof RecordIterator ? iterator.toArray() : Array.from(iterator)
  }

  /** All records as an array (convenience for tests and small batches). */
  toArray(): DecodedRecord[] {
    return this.recordArrayAs(makeDecodedRecord)
  }
}

/**
 * Iterates the records of one batch. A plain iterator class rather than a generator: it is the
 * innermost read loop and generators cost noticeably more per step.
 */
export class RecordIterator<T = DecodedRecord> implements IterableIterator<T> {
  private readonly area: Buffer
  /** Where the records area sits in the batch, to report positions batch-relative. */
  private readonly areaPosition: number
  private readonly cursor = { position: 0 }
  private readonly baseOffset: number
  private readonly baseTimestamp: number
  private readonly logAppendTime: number
  private readonly make: RecordFactory<T>
  private remaining: number
  /**
   * The one result object `next()` fills and returns: `for...of`, spreading and `Array.from` read
   * it before the next step, and a result object per record was one allocation per record more.
   */
  private readonly result: { done: boolean; value: T | undefined } = { done: false, value: undefined }

  constructor(batch: RecordBatch, maxDecompressedBytes: number, make: RecordFactory<T>) {
    const count = batch.recordCount
    if (count < 0) throw new CorruptRecordError('bad-length', RECORDS_COUNT_OFFSET, `negative record count ${count}`)
    this.area = batch.recordsArea(maxDecompressedBytes)
    this.areaPosition = batch.compressionId === COMPRESSION_IDS.none ? BATCH_HEADER_SIZE : -1
    this.baseOffset = batch.baseOffset
    this.baseTimestamp = batch.baseTimestamp
    this.logAppendTime = batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : NO_TIMESTAMP
    this.make = make
    this.remaining = count
  }

  next(): IteratorResult<T> {
    if (this.remaining === 0) {
      this.checkEnd()
      return { done: true, value: undefined }
    }
    this.remaining--
    try {
      const result = this.result
      result.value = readRecord(
        this.area,
        this.cursor,
        this.area.length,
        this.baseOffset,
        this.baseTimestamp,
        this.logAppendTime,
        this.make,
      )
      return result as IteratorResult<T>
    } catch (error) {
      if (error instanceof CorruptRecordError) throw this.positioned(error)
      throw error
    }
  }

  /** The records not yet iterated, as an array (the same checks as `next`). */
  toArray(): T[] {
    const records: T[] = []
    const { area, cursor, baseOffset, baseTimestamp, logAppendTime, make } = this
    const end = area.length
    try {
      for (; this.remaining > 0; this.remaining--)
        records.push(readRecord(area, cursor, end, baseOffset, baseTimestamp, logAppendTime, make))
    } catch (error) {
      if (error instanceof CorruptRecordError) throw this.positioned(error)
      throw error
    }
    this.checkEnd()
    return records
  }

  /** After the last record the area must be used up exactly. */
  private checkEnd(): void {
    if (this.cursor.position !== this.area.length) {
      throw this.positioned(
        new CorruptRecordError(
          'bad-length',
          this.cursor.position,
          `${this.area.length - this.cursor.position} bytes left after the last record`,
        ),
      )
    }
  }

  [Symbol.iterator](): this {
    return this
  }

  /** Positions inside a decompressed area mean nothing in the file: report the area's start. */
  private positioned(error: CorruptRecordError): CorruptRecordError {
    return this.areaPosition < 0
      ? new CorruptRecordError(error.reason, BATCH_HEADER_SIZE, `in the decompressed records at byte ${error.position}: ${error.detail}`)
      : error.shifted(this.areaPosition)
  }
}

/** `base + delta` in Kafka's sequence space, which wraps from Int32.MAX to 0. */
export function sequenceAfter(base: number, delta: number): number {
  const sum = base + delta
  return sum > 0x7fffffff ? sum - 0x80000000 : sum
}

export function compressionNameOf(id: number): CompressionName | `unknown(${number})` {
  for (const [name, value] of Object.entries(COMPRESSION_IDS)) if (value === id) return name as CompressionName
  return `unknown(${id})`
}

export type { CompressionId }
