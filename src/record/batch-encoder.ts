import { COMPRESSION_IDS, type Codec, type CompressionName } from '../compression/codec.js'
import { codecForName } from '../compression/registry.js'
import { crc32c } from './crc32c.js'
import { CorruptRecordError } from './errors.js'
import { writeInt64BE } from './int64.js'
import { sizeOfRecordBody, writeRecord, type RecordInput } from './record.js'
import { NO_TIMESTAMP, normalizeRecords, type RecordLike } from './record-input.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CONTROL_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
  type TimestampType,
} from './record-batch.js'
import { sizeOfVarint } from './varint.js'

/**
 * Writing record batches v2: encoding records into a new batch, and stamping the fields a log or a
 * broker sets on a batch it received (base offset, leader epoch, LogAppendTime, CRC). The layout
 * (the byte table) and the read side are in record-batch.ts.
 */

export interface EncodeBatchOptions {
  baseOffset?: number
  partitionLeaderEpoch?: number
  compression?: CompressionName | Codec
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  isTransactional?: boolean
  isControl?: boolean
  /** For LogAppendTime the broker's append time becomes maxTimestamp. */
  timestampType?: TimestampType
  logAppendTime?: number
  /** Clock for records without a timestamp; Date.now() by default. */
  now?: number
}

/**
 * Scratch space for the uncompressed records area of compressed batches and for per-record body
 * sizes, grown on demand and reused so a steady producer allocates only its output buffers.
 */
let scratchArea = Buffer.allocUnsafe(64 * 1024)
let scratchSizes = new Int32Array(1024)

/**
 * Encodes records as one v2 batch: sizes first, one allocation, every field written in place, then
 * the CRC over [21, end). Offsets inside the batch are 0..n-1 relative to `baseOffset`. Each
 * record is checked first (see record-input.ts): a bad one is an INVALID_ARGUMENT naming it.
 */
export function encodeBatch(input: readonly (RecordInput | RecordLike)[], options: EncodeBatchOptions = {}): Buffer {
  return encodeBatchInto(input, options, Buffer.allocUnsafe)
}

/**
 * `encodeBatch` into the bytes `allocate(size)` returns (exactly `size` long), for a caller that
 * recycles its buffers once a batch is written: the log's appends (see log/encode-space.ts).
 */
export function encodeBatchInto(
  input: readonly (RecordInput | RecordLike)[],
  options: EncodeBatchOptions,
  allocate: (size: number) => Buffer,
): Buffer {
  const records = normalizeRecords(input)
  const count = records.length
  const now = options.now ?? Date.now()
  const baseTimestamp = count > 0 ? (records[0]!.timestamp ?? now) : NO_TIMESTAMP
  if (scratchSizes.length < count) scratchSizes = new Int32Array(Math.max(count, scratchSizes.length * 2))
  const sizes = scratchSizes

  let maxTimestamp = NO_TIMESTAMP
  let areaSize = 0
  for (let slot = 0; slot < count; slot++) {
    const record = records[slot]!
    const timestamp = record.timestamp ?? now
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    const bodySize = sizeOfRecordBody(record, slot, timestamp - baseTimestamp)
    sizes[slot] = bodySize
    areaSize += sizeOfVarint(bodySize) + bodySize
  }

  const codec = resolveCodec(options.compression)
  let batch: Buffer
  if (codec === null) {
    batch = allocate(BATCH_HEADER_SIZE + areaSize)
    writeRecords(batch, BATCH_HEADER_SIZE, records, sizes, baseTimestamp, now)
  } else {
    if (scratchArea.length < areaSize) scratchArea = Buffer.allocUnsafe(Math.max(areaSize, scratchArea.length * 2))
    writeRecords(scratchArea, 0, records, sizes, baseTimestamp, now)
    const compressed = codec.compress(scratchArea.subarray(0, areaSize))
    batch = allocate(BATCH_HEADER_SIZE + compressed.length)
    batch.set(compressed, BATCH_HEADER_SIZE)
  }

  const timestampType = options.timestampType ?? 'CreateTime'
  if (timestampType === 'LogAppendTime') maxTimestamp = options.logAppendTime ?? now
  let attributes = codec === null ? 0 : codec.id
  if (timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK
  if (options.isTransactional) attributes |= TRANSACTIONAL_MASK
  if (options.isControl) attributes |= CONTROL_MASK

  writeInt64BE(batch, options.baseOffset ?? 0, BASE_OFFSET_OFFSET)
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  batch.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET)
  batch[MAGIC_OFFSET] = CURRENT_MAGIC
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  batch.writeInt32BE(count > 0 ? count - 1 : 0, LAST_OFFSET_DELTA_OFFSET)
  writeInt64BE(batch, baseTimestamp, BASE_TIMESTAMP_OFFSET)
  writeInt64BE(batch, maxTimestamp, MAX_TIMESTAMP_OFFSET)
  writeInt64BE(batch, options.producerId ?? NO_PRODUCER_ID, PRODUCER_ID_OFFSET)
  batch.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET)
  batch.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET)
  batch.writeInt32BE(count, RECORDS_COUNT_OFFSET)
  writeBatchCrc(batch)
  return batch
}

function writeRecords(
  buf: Buffer,
  position: number,
  records: readonly RecordInput[],
  sizes: Int32Array,
  baseTimestamp: number,
  now: number,
): void {
  for (let slot = 0; slot < records.length; slot++) {
    const record = records[slot]!
    position = writeRecord(buf, position, record, sizes[slot]!, slot, (record.timestamp ?? now) - baseTimestamp)
  }
}

function resolveCodec(compression: CompressionName | Codec | undefined): Codec | null {
  if (compression === undefined || compression === 'none') return null
  const codec = typeof compression === 'string' ? codecForName(compression) : compression
  return codec.id === COMPRESSION_IDS.none ? null : codec
}

/** Recomputes and stores the CRC after a change to any byte at or after the attributes. */
export function writeBatchCrc(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET)
}

/**
 * Kafka's LogAppendTime (a topic's message.timestamp.type): sets the batch's timestamp type bit and
 * its maxTimestamp to `timestampMs`, in place, and recomputes the CRC (both fields are covered by
 * it). Records keep their own timestamps; readers report maxTimestamp for every record of such a
 * batch. Check the incoming CRC first (`new RecordBatch(batch).ensureValid()`): a batch damaged in
 * transit would otherwise get a valid CRC here.
 */
export function stampLogAppendTime(batch: Buffer, timestampMs: number): void {
  if (batch.length < BATCH_HEADER_SIZE)
    throw new CorruptRecordError('bad-length', 0, `${batch.length} bytes is below the ${BATCH_HEADER_SIZE}-byte batch header`)
  batch[ATTRIBUTES_OFFSET + 1] = batch[ATTRIBUTES_OFFSET + 1]! | TIMESTAMP_TYPE_MASK
  writeInt64BE(batch, timestampMs, MAX_TIMESTAMP_OFFSET)
  writeBatchCrc(batch)
}

/** Stamps the log-assigned fields, which the CRC does not cover, in place. */
export function assignBaseOffset(batch: Buffer, baseOffset: number, partitionLeaderEpoch?: number): void {
  writeInt64BE(batch, baseOffset, BASE_OFFSET_OFFSET)
  if (partitionLeaderEpoch !== undefined) batch.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
}
