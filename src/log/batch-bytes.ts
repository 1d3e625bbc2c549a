import { InvalidArgumentError } from '../errors.js'
import { BatchScanner } from '../record/batch-scanner.js'
import { CorruptRecordError } from '../record/errors.js'
import { LAST_OFFSET_DELTA_OFFSET } from '../record/record-batch.js'
import { LegacyRecordBatch } from '../record/legacy-message.js'

/**
 * Buffers of whole batches on their way into and out of a partition log: the batches of an
 * append checked and split, and a chunk read from a segment cut to the batches a read returns.
 * Pure: positions in errors are re-anchored to the file the chunk came from.
 */

/** Splits a buffer of whole batches, checking framing and CRC; trailing bytes are an error. */
export function splitBatches(bytes: Buffer, maxBatchBytes: number): Buffer[] {
  const scanner = new BatchScanner(bytes, { verifyCrc: true })
  const batches: Buffer[] = []
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
    if (batch.recordCount < 0 || batch.lastOffsetDelta < 0)
      throw new CorruptRecordError(
        'bad-length',
        scanner.batchPosition + LAST_OFFSET_DELTA_OFFSET,
        'negative record count or last offset delta',
      )
    if (batch.sizeInBytes > maxBatchBytes)
      throw new InvalidArgumentError(`batch of ${batch.sizeInBytes} bytes exceeds maxBatchBytes ${maxBatchBytes}`)
    batches.push(batch.buffer)
  }
  if (scanner.trailingBytes > 0)
    throw new CorruptRecordError('truncated-record', scanner.position, `${scanner.trailingBytes} bytes after the last whole batch`)
  if (batches.length === 0) throw new InvalidArgumentError('appendBatch needs at least one record batch')
  return batches
}

/** A chunk cut to whole batches: what a read returns, and how far CRCs are now known good. */
export interface WholeBatches {
  bytes: Buffer
  firstOffset: number
  nextOffset: number
  /** `verifiedSize` moved over the batches checked here, if they continue it. */
  verifiedSize: number
}

/** Where the chunk was read from, and what the segment already knows about it. */
export interface ChunkSource {
  file: string
  /** File position of `chunk[0]`: the start of the batch the read found. */
  position: number
  /** Base offset of that batch, as its header said when it was found. */
  baseOffset: number
  /** Bytes of the segment below which every CRC has been checked. */
  verifiedSize: number
  /** Bytes from here on were written, and so checked, by this process (Infinity: none). */
  writtenFrom: number
}

/**
 * Cuts `chunk` to whole batches below `maxOffset` within `maxBytes` (the first batch always, if it
 * is below `maxOffset`), checking the CRC of every batch past `verifiedSize` (and before `writtenFrom`) and that offsets
 * ascend. A chunk that does not begin with the whole batch expected is damage (or bytes a
 * concurrent truncation changed, which the caller tells apart): it throws CorruptRecordError
 * with the file and position, and never returns an empty cut for it.
 */
export function cutWholeBatches(chunk: Buffer, source: ChunkSource, maxBytes: number, maxOffset: number): WholeBatches {
  const scanner = new BatchScanner(chunk, { acceptLegacy: true })
  let end = 0
  let firstOffset = -1
  let nextOffset = -1
  let verifiedSize = source.verifiedSize
  try {
    for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
      const batchPosition = source.position + scanner.batchPosition
      const baseOffset = batch.baseOffset
      const lastOffset = batch.lastOffset
      // The header walk that found the first batch knows a legacy entry by its last offset.
      const foundOffset = batch instanceof LegacyRecordBatch ? lastOffset : baseOffset
      if (end === 0 ? foundOffset !== source.baseOffset : baseOffset < nextOffset || lastOffset < baseOffset) {
        throw new CorruptRecordError(
          'bad-offset',
          scanner.batchPosition,
          `batch offsets ${baseOffset}..${lastOffset} where ${end === 0 ? source.baseOffset : nextOffset} was expected`,
        )
      }
      if (lastOffset >= maxOffset) break
      if (end > 0 && scanner.position > maxBytes) break
      if (batchPosition + batch.sizeInBytes > verifiedSize) {
        if (batchPosition < source.writtenFrom) {
          try {
            batch.ensureValid()
          } catch (error) {
            throw error instanceof CorruptRecordError ? error.shifted(scanner.batchPosition) : error
          }
        }
        if (batchPosition <= verifiedSize) verifiedSize = batchPosition + batch.sizeInBytes
      }
      if (firstOffset < 0) firstOffset = baseOffset
      nextOffset = lastOffset + 1
      end = scanner.position
    }
  } catch (error) {
    throw error instanceof CorruptRecordError && error.file === undefined ? error.inFile(source.file, source.position) : error
  }
  if (end === 0) {
    throw new CorruptRecordError(
      'truncated-record',
      source.position,
      `only ${chunk.length} bytes of the batch could be read; the file is shorter than the segment`,
      source.file,
    )
  }
  return { bytes: chunk.subarray(0, end), firstOffset, nextOffset, verifiedSize }
}
