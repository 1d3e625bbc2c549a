import { CorruptRecordError } from './errors.js'
import { readSafeInt64BE } from './int64.js'
import {
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  BATCH_PREFIX_SIZE,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RecordBatch,
} from './record-batch.js'

/** What the first 17 bytes of a batch say, checked. */
export interface BatchPrefix {
  baseOffset: number
  /** Whole batch size: 12 + batchLength. */
  size: number
}

/**
 * Reads and checks the fixed prefix of the batch at `position` (17 bytes must be there).
 * A size below the 61-byte header, or a magic other than 2, is corruption; a size that runs past
 * the buffer is not: the caller decides whether that is a torn tail or a short read.
 */
export function readBatchPrefix(buf: Buffer, position: number): BatchPrefix {
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET)
  const size = LOG_OVERHEAD + batchLength
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
    throw new CorruptRecordError(
      'bad-length',
      position + BATCH_LENGTH_OFFSET,
      `batch length ${batchLength} is below the ${BATCH_HEADER_SIZE - LOG_OVERHEAD}-byte minimum`,
    )
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET)
  if (magic !== CURRENT_MAGIC) {
    const detail =
      magic === 0 || magic === 1 ? `legacy message format v${magic} is not supported` : `magic ${magic}, expected ${CURRENT_MAGIC}`
    throw new CorruptRecordError('bad-magic', position + MAGIC_OFFSET, detail)
  }
  // readSafeInt64BE reports the absolute position already.
  return { baseOffset: readSafeInt64BE(buf, position), size }
}

/** lastOffsetDelta, which lives beyond the 17-byte prefix (the header must be present). */
export function readLastOffsetDelta(buf: Buffer, position: number): number {
  return buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET)
}

export interface BatchScannerOptions {
  /** Position of the first batch in the buffer. */
  position?: number
  /** Verify each batch's CRC before returning it. */
  verifyCrc?: boolean
}

/**
 * Walks record batches laid end to end in a buffer (a .log file's contents, a fetch response).
 * `next()` returns batches until the data ends; a partial batch at the end is not an error: it
 * is reported by `trailingBytes`, which is what a torn tail or a size-limited read looks like.
 * Corrupt framing (impossible length, bad magic, bad CRC) throws CorruptRecordError positioned in
 * the buffer.
 */
export class BatchScanner {
  private readonly buf: Buffer
  private readonly verifyCrc: boolean
  /** Position of the next batch to read. */
  position: number
  /** Position of the batch `next()` returned last. */
  batchPosition = -1
  /** Bytes after the last whole batch, known once `next()` has returned null. */
  trailingBytes = 0

  constructor(buf: Buffer, options: BatchScannerOptions = {}) {
    this.buf = buf
    this.position = options.position ?? 0
    this.verifyCrc = options.verifyCrc ?? false
  }

  next(): RecordBatch | null {
    const position = this.position
    const remaining = this.buf.length - position
    if (remaining < BATCH_PREFIX_SIZE) {
      this.trailingBytes = remaining
      return null
    }
    const { size } = readBatchPrefix(this.buf, position)
    if (size > remaining) {
      this.trailingBytes = remaining
      return null
    }
    const batch = new RecordBatch(this.buf.subarray(position, position + size))
    if (this.verifyCrc) {
      try {
        batch.ensureValid()
      } catch (error) {
        throw error instanceof CorruptRecordError ? error.shifted(position) : error
      }
    }
    this.batchPosition = position
    this.position = position + size
    return batch
  }

  *[Symbol.iterator](): Generator<RecordBatch> {
    for (let batch = this.next(); batch !== null; batch = this.next()) yield batch
  }
}
