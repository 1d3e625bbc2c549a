import { COMPRESSION_IDS } from '../compression/codec.js'
import { CorruptRecordError } from './errors.js'
import { BATCH_HEADER_SIZE, DEFAULT_MAX_DECOMPRESSED_BYTES, RECORDS_COUNT_OFFSET, type RecordBatch } from './record-batch.js'
import { readVarint, type VarintCursor } from './varint.js'

/**
 * The keys of a batch's records, and nothing else: for each record its offset delta and where its
 * key lies in one buffer (the batch, or its decompressed records area), for indexes that hash keys
 * as records are appended. Only the fields before the key are read (record.ts's byte table:
 * length, attributes, timestamp delta, offset delta, key length); the rest of each record is
 * stepped over by its length, so values and headers cost nothing. Lengths are checked as
 * `records()` checks them, with the same CorruptRecordError; the value and headers are not
 * parsed, so damage there is left to the readers that parse them.
 */

/** Called once per record with the offset delta and the key's position and length (-1: null key) in `buffer`. */
export type KeyVisitor = (buffer: Buffer, offsetDelta: number, keyStart: number, keyLength: number) => void

const cursor: VarintCursor = { position: 0 }

/** Calls `visit` for each record of `batch` in order; compressed batches are decompressed once (bounded). */
export function visitKeys(batch: RecordBatch, visit: KeyVisitor, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): void {
  const count = batch.recordCount
  if (count < 0) throw new CorruptRecordError('bad-length', RECORDS_COUNT_OFFSET, `negative record count ${count}`)
  const uncompressed = batch.compressionId === COMPRESSION_IDS.none
  const buffer = uncompressed ? batch.buffer : batch.recordsArea(maxDecompressedBytes)
  const end = buffer.length
  let position = uncompressed ? BATCH_HEADER_SIZE : 0
  for (let visited = 0; visited < count; visited++) {
    const start = position
    cursor.position = position
    const bodySize = readVarint(buffer, cursor, end)
    const bodyEnd = cursor.position + bodySize
    if (bodySize < 1 || bodyEnd > end) {
      const detail = `record length ${bodySize} does not fit the ${end - cursor.position} bytes left`
      throw new CorruptRecordError('truncated-record', uncompressed ? start : BATCH_HEADER_SIZE, detail)
    }
    position = cursor.position + 1 // attributes: unused
    while (position < bodyEnd && (buffer[position]! & 0x80) !== 0) position++ // timestamp delta (varlong)
    cursor.position = position + 1
    const offsetDelta = readVarint(buffer, cursor, bodyEnd)
    const keyLength = readVarint(buffer, cursor, bodyEnd)
    if (keyLength < -1 || keyLength > bodyEnd - cursor.position) {
      const detail = `key length ${keyLength} does not fit the ${bodyEnd - cursor.position} bytes left`
      throw new CorruptRecordError('truncated-record', uncompressed ? start : BATCH_HEADER_SIZE, detail)
    }
    visit(buffer, offsetDelta, cursor.position, keyLength)
    position = bodyEnd
  }
  if (position !== end) {
    const detail = `${end - position} bytes left after the last record`
    throw new CorruptRecordError('bad-length', uncompressed ? position : BATCH_HEADER_SIZE, detail)
  }
}
