import { COMPRESSION_IDS } from '../compression/codec.js'
import { CorruptRecordError } from './errors.js'
import { BATCH_HEADER_SIZE, DEFAULT_MAX_DECOMPRESSED_BYTES, RECORDS_COUNT_OFFSET, type RecordBatch } from './record-batch.js'
import { parseRecord, RecordView } from './record.js'
import type { VarintCursor } from './varint.js'

/**
 * Visiting the records of a batch without an object or a Buffer per record: one RecordView is
 * filled with positions into one buffer (the batch, or its decompressed records area) and handed
 * to the visitor for each record in turn. Brokers and bulk readers that only look at a few bytes
 * of each record, or copy them on, avoid the two Buffer views per record that `records()` makes
 * (one TypedArray each, and the garbage they become). Records are parsed by record.ts's
 * `parseRecord`, the one parser `records()` uses too, so every check and error is the same.
 */

export { RecordView }

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
      parseRecord(buffer, cursor, end, baseOffset, baseTimestamp, logAppendTime, view)
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
