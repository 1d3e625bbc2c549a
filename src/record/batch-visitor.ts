import { COMPRESSION_IDS } from '../compression/codec.js'
import { CorruptRecordError } from './errors.js'
import { BATCH_HEADER_SIZE, DEFAULT_MAX_DECOMPRESSED_BYTES, RECORDS_COUNT_OFFSET, type RecordBatch } from './record-batch.js'
import type { RecordHeader } from './record.js'
import { readVarint, readVarlong, type VarintCursor } from './varint.js'

/**
 * Visiting the records of a batch without an object or a Buffer per record: one RecordView is
 * filled with positions into one buffer (the batch, or its decompressed records area) and handed
 * to the visitor for each record in turn. Brokers and bulk readers that only look at a few bytes
 * of each record, or copy them on, avoid the two Buffer views per record that `records()` makes
 * (one TypedArray each, and the garbage they become). The record layout is record.ts's byte table;
 * every length is checked as `records()` checks it, with the same CorruptRecordError.
 */

/** One record's fields as positions; valid only during the visitor's call (the next record reuses it). */
export class RecordView {
  /** The buffer the positions point into: the batch, or its decompressed records area. */
  buffer: Buffer = EMPTY
  offset = 0
  timestamp = 0
  /** Position of the key in `buffer`, and its length; -1 for a null key. */
  keyStart = 0
  keyLength = -1
  /** Position of the value in `buffer`, and its length; -1 for a null value (a tombstone). */
  valueStart = 0
  valueLength = -1
  headerCount = 0
  /** Position of the first header (after the count), for `headers()`. */
  headersStart = 0

  /** The key as a view of the buffer (a new Buffer object, the bytes shared). */
  key(): Buffer | null {
    return this.keyLength < 0 ? null : this.buffer.subarray(this.keyStart, this.keyStart + this.keyLength)
  }

  /** The value as a view of the buffer (a new Buffer object, the bytes shared). */
  value(): Buffer | null {
    return this.valueLength < 0 ? null : this.buffer.subarray(this.valueStart, this.valueStart + this.valueLength)
  }

  /** The headers, decoded (header values are views of the buffer). */
  headers(): RecordHeader[] {
    const headers: RecordHeader[] = []
    const cursor = { position: this.headersStart }
    for (let slot = 0; slot < this.headerCount; slot++) {
      const keyLength = readVarint(this.buffer, cursor, this.buffer.length)
      const key = this.buffer.toString('utf8', cursor.position, cursor.position + keyLength)
      cursor.position += keyLength
      const valueLength = readVarint(this.buffer, cursor, this.buffer.length)
      const value = valueLength < 0 ? null : this.buffer.subarray(cursor.position, cursor.position + valueLength)
      if (valueLength > 0) cursor.position += valueLength
      headers.push({ key, value })
    }
    return headers
  }
}

const EMPTY = Buffer.alloc(0)

/** Called once per record; return `false` to stop the visit early. */
export type RecordVisitor = (record: RecordView) => void | boolean

/**
 * Calls `visit` for each record of `batch` in order, with one reused RecordView; returns the number
 * of records visited. Compressed batches are decompressed once (at most `maxDecompressedBytes`).
 */
export function visitRecords(
  batch: RecordBatch,
  visit: RecordVisitor,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
  view: RecordView = new RecordView(),
): number {
  const count = batch.recordCount
  if (count < 0) throw new CorruptRecordError('bad-length', RECORDS_COUNT_OFFSET, `negative record count ${count}`)
  const uncompressed = batch.compressionId === COMPRESSION_IDS.none
  // Uncompressed records are read in place, so positions are batch positions.
  const buffer = uncompressed ? batch.buffer : batch.recordsArea(maxDecompressedBytes)
  const start = uncompressed ? BATCH_HEADER_SIZE : 0
  const end = buffer.length
  const baseOffset = batch.baseOffset
  const baseTimestamp = batch.baseTimestamp
  const logAppendTime = batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : -1
  const cursor: VarintCursor = { position: start }
  view.buffer = buffer
  let visited = 0
  try {
    for (; visited < count;) {
      readRecordView(buffer, cursor, end, baseOffset, baseTimestamp, logAppendTime, view)
      visited++
      if (visit(view) === false) return visited
    }
  } catch (error) {
    if (error instanceof CorruptRecordError && !uncompressed)
      throw new CorruptRecordError(
        error.reason,
        BATCH_HEADER_SIZE,
        `in the decompressed records at byte ${error.position}: ${error.detail}`,
      )
    throw error
  }
  if (cursor.position !== end) {
    const detail = `${end - cursor.position} bytes left after the last record`
    throw new CorruptRecordError('bad-length', uncompressed ? cursor.position : BATCH_HEADER_SIZE, detail)
  }
  return visited
}

/** Fills `view` with the record at `cursor.position`, checking every length (as readRecord does). */
function readRecordView(
  buf: Buffer,
  cursor: VarintCursor,
  end: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number,
  view: RecordView,
): void {
  const start = cursor.position
  const bodySize = readVarint(buf, cursor, end)
  const bodyStart = cursor.position
  const bodyEnd = bodyStart + bodySize
  if (bodySize < 1 || bodyEnd > end) {
    throw new CorruptRecordError('truncated-record', start, `record length ${bodySize} does not fit the ${end - bodyStart} bytes left`)
  }
  cursor.position++ // attributes: unused
  const timestampDelta = readVarlong(buf, cursor, bodyEnd)
  const offsetDelta = readVarint(buf, cursor, bodyEnd)
  view.keyLength = readLength(buf, cursor, bodyEnd)
  view.keyStart = cursor.position
  if (view.keyLength > 0) cursor.position += view.keyLength
  view.valueLength = readLength(buf, cursor, bodyEnd)
  view.valueStart = cursor.position
  if (view.valueLength > 0) cursor.position += view.valueLength
  const headerCount = readVarint(buf, cursor, bodyEnd)
  if (headerCount < 0 || headerCount > bodyEnd - cursor.position) {
    throw new CorruptRecordError('truncated-record', cursor.position, `header count ${headerCount} is impossible here`)
  }
  view.headerCount = headerCount
  view.headersStart = cursor.position
  for (let slot = 0; slot < headerCount; slot++) {
    const keyPosition = cursor.position
    const keyLength = readLength(buf, cursor, bodyEnd)
    if (keyLength < 0) throw new CorruptRecordError('truncated-record', keyPosition, 'null header key')
    cursor.position += keyLength
    const valueLength = readLength(buf, cursor, bodyEnd)
    if (valueLength > 0) cursor.position += valueLength
  }
  if (cursor.position !== bodyEnd) {
    throw new CorruptRecordError('truncated-record', start, `record declared ${bodySize} bytes but used ${cursor.position - bodyStart}`)
  }
  view.offset = baseOffset + offsetDelta
  view.timestamp = logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta
}

/** A bytes field's length varint, checked against what is left: -1 (null) or a length that fits. */
function readLength(buf: Buffer, cursor: VarintCursor, end: number): number {
  const lengthPosition = cursor.position
  const length = readVarint(buf, cursor, end)
  if (length === -1) return -1
  if (length < 0 || length > end - cursor.position) {
    throw new CorruptRecordError(
      'truncated-record',
      lengthPosition,
      `length ${length} does not fit the ${end - cursor.position} bytes left`,
    )
  }
  return length
}
