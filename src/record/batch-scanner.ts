import { CorruptRecordError } from './errors.js'
import { readSafeInt64BE } from './int64.js'
import { isLegacyMagic, LEGACY_MIN_ENTRY_SIZE, LegacyRecordBatch } from './legacy-message.js'
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
 * `acceptLegacy`: readers of stored data also take magic 0 and 1 entries (legacy-message.ts),
 * whose `baseOffset` here is the entry's offset field (a wrapper's LAST offset); appends refuse them.
 */
export function readBatchPrefix(buf: Buffer, position: number, acceptLegacy = false): BatchPrefix {
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET)
  const size = LOG_OVERHEAD + batchLength
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
    if (acceptLegacy && isLegacyMagic(buf[position + MAGIC_OFFSET]!)) return readLegacyPrefix(buf, position, size)
    throw new CorruptRecordError(
      'bad-length',
      position + BATCH_LENGTH_OFFSET,
      `batch length ${batchLength} is below the ${BATCH_HEADER_SIZE - LOG_OVERHEAD}-byte minimum`,
    )
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET)
  if (magic !== CURRENT_MAGIC) {
    if (acceptLegacy && isLegacyMagic(magic)) return readLegacyPrefix(buf, position, size)
    const detail =
      magic === 0 || magic === 1 ? `legacy message format v${magic} is not supported` : `magic ${magic}, expected ${CURRENT_MAGIC}`
    throw new CorruptRecordError('bad-magic', position + MAGIC_OFFSET, detail)
  }
  // readSafeInt64BE reports the absolute position already.
  return { baseOffset: readSafeInt64BE(buf, position), size }
}

function readLegacyPrefix(buf: Buffer, position: number, size: number): BatchPrefix {
  if (size < LEGACY_MIN_ENTRY_SIZE) {
    throw new CorruptRecordError(
      'bad-length',
      position + BATCH_LENGTH_OFFSET,
      `message size ${size - LOG_OVERHEAD} is below the legacy minimum`,
    )
  }
  return { baseOffset: readSafeInt64BE(buf, position), size }
}

/** A view of the whole batch `buffer` holds: a v2 batch, or a legacy entry (magic 0 or 1). */
export function batchView(buffer: Buffer): RecordBatch {
  return buffer[MAGIC_OFFSET] === CURRENT_MAGIC ? new RecordBatch(buffer) : new LegacyRecordBatch(buffer)
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
  /** Also return legacy entries (magic 0 and 1) as LegacyRecordBatch views: reads of stored data do. */
  acceptLegacy?: boolean
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
  private readonly acceptLegacy: boolean
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
    this.acceptLegacy = options.acceptLegacy ?? false
  }

  next(): RecordBatch | null {
    const position = this.position
    const remaining = this.buf.length - position
    if (remaining < BATCH_PREFIX_SIZE) {
      this.trailingBytes = remaining
      return null
    }
    const { size } = readBatchPrefix(this.buf, position, this.acceptLegacy)
    if (size > remaining) {
      this.trailingBytes = remaining
      return null
    }
    const bytes = this.buf.subarray(position, position + size)
    const batch = this.acceptLegacy ? batchView(bytes) : new RecordBatch(bytes)
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
