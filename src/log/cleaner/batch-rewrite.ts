import { COMPRESSION_IDS } from '../../compression/codec.js'
import { codecForId } from '../../compression/registry.js'
import { writeBatchCrc } from '../../record/batch-encoder.js'
import { writeInt64BE } from '../../record/int64.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  NO_TIMESTAMP,
  RECORDS_COUNT_OFFSET,
  type RecordBatch,
} from '../../record/record-batch.js'
import { sizeOfRecordBody, writeRecord, type RecordHeader } from '../../record/record.js'
import { sizeOfVarint } from '../../record/varint.js'

/** Attribute bit 6: baseTimestamp holds the delete horizon (Kafka's KIP-534). */
export const DELETE_HORIZON_ATTRIBUTE = 0x40
const COMPRESSION_BITS = 0x07

/** One record of a batch as stored: its offset delta and absolute timestamp, key, value, headers. */
export interface StoredRecord {
  offsetDelta: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/**
 * The records of a batch with their offset deltas and timestamps. For LogAppendTime batches the
 * stored per-record timestamps are replaced by the batch's maxTimestamp, which is what every
 * reader reports for them anyway.
 */
export function storedRecords(batch: RecordBatch): StoredRecord[] {
  const baseOffset = batch.baseOffset
  const records: StoredRecord[] = []
  for (const record of batch.recordsAs((offset, timestamp, key, value, headers) => ({
    offsetDelta: offset - baseOffset,
    timestamp,
    key,
    value,
    headers,
  }))) {
    records.push(record)
  }
  return records
}

/**
 * A batch rebuilt around the records the cleaner keeps, everything else as it was: base offset,
 * lastOffsetDelta (so a batch may now have gaps, or no records at all), partition leader epoch,
 * maxTimestamp, producer id, epoch and base sequence, the codec, the timestamp type and the
 * transactional and control bits. Record offsets keep their deltas. With `deleteHorizonMs` the
 * batch gets attribute bit 6 and baseTimestamp = the horizon, and record timestamp deltas are
 * taken from it (Kafka's layout); otherwise baseTimestamp is the first kept record's timestamp,
 * or -1 for an empty batch.
 */
export function rewriteBatch(batch: RecordBatch, kept: readonly StoredRecord[], deleteHorizonMs: number | null): Buffer {
  const original = batch.buffer
  const baseTimestamp = deleteHorizonMs ?? (kept.length > 0 ? kept[0]!.timestamp : NO_TIMESTAMP)
  const sizes = kept.map((record) => sizeOfRecordBody(record, record.offsetDelta, record.timestamp - baseTimestamp))
  let areaSize = 0
  for (const size of sizes) areaSize += sizeOfVarint(size) + size
  let area: Buffer = Buffer.allocUnsafe(areaSize)
  let position = 0
  for (let slot = 0; slot < kept.length; slot++) {
    const record = kept[slot]!
    position = writeRecord(area, position, record, sizes[slot]!, record.offsetDelta, record.timestamp - baseTimestamp)
  }
  const codecId = batch.compressionId
  if (codecId !== COMPRESSION_IDS.none && kept.length > 0) area = codecForId(codecId).compress(area)
  const rebuilt = Buffer.allocUnsafe(BATCH_HEADER_SIZE + area.length)
  original.copy(rebuilt, 0, 0, BATCH_HEADER_SIZE)
  area.copy(rebuilt, BATCH_HEADER_SIZE)
  rebuilt.writeInt32BE(rebuilt.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  let attributes = batch.attributes
  // An empty batch has no compressed stream to hold: Kafka writes it uncompressed.
  if (kept.length === 0) attributes &= ~COMPRESSION_BITS
  if (deleteHorizonMs !== null) attributes |= DELETE_HORIZON_ATTRIBUTE
  rebuilt.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  writeInt64BE(rebuilt, baseTimestamp, BASE_TIMESTAMP_OFFSET)
  rebuilt.writeInt32BE(kept.length, RECORDS_COUNT_OFFSET)
  writeBatchCrc(rebuilt)
  return rebuilt
}
