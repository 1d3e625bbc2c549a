import { crc32c } from './crc32c.js'
import { CorruptRecordError } from './errors.js'
import { readSafeInt64BE } from './int64.js'
import { ATTRIBUTES_OFFSET, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET } from './record-batch.js'

/**
 * The checks and header fields of a v2 record batch read by its position in a larger buffer, for
 * scans that walk many batches (recovery) and should not build a RecordBatch view, a Buffer view
 * and a metadata object per batch. The bytes are record-batch.ts's byte table; these functions
 * judge them exactly as `RecordBatch.ensureValid` and its getters do. Errors are positioned in
 * `buf` (the caller re-anchors them to a file with `inFile`).
 */

/** The header fields a scan indexes, written into an object the caller reuses. */
export interface BatchHeaderFields {
  baseOffset: number
  lastOffsetDelta: number
  maxTimestamp: number
}

/**
 * Checks the CRC of the v2 batch of `size` bytes at `position` (its batchLength already agrees with
 * `size`: the caller took the size from it). Throws 'bad-crc' positioned at the batch start.
 */
export function checkBatchCrcAt(buf: Buffer, position: number, size: number): void {
  const stored = buf.readUInt32BE(position + CRC_OFFSET)
  const computed = crc32c(buf.subarray(position + ATTRIBUTES_OFFSET, position + size))
  if (stored !== computed) throw new CorruptRecordError('bad-crc', position, `stored crc ${stored} but the batch computes to ${computed}`)
}

/** Reads baseOffset, lastOffsetDelta and maxTimestamp of the v2 batch at `position` into `out`. */
export function readBatchHeaderAt(buf: Buffer, position: number, out: BatchHeaderFields): BatchHeaderFields {
  out.baseOffset = readSafeInt64BE(buf, position)
  out.lastOffsetDelta = buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET)
  out.maxTimestamp = readSafeInt64BE(buf, position + MAX_TIMESTAMP_OFFSET)
  return out
}
