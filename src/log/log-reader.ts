import { InvalidArgumentError } from '../errors.js'
import { BatchScanner } from '../record/batch-scanner.js'
import type { RecordBatch } from '../record/record-batch.js'
import type { DecodedRecord } from '../record/record.js'
import { OffsetOutOfRangeError } from './errors.js'
import { checkCount, checkOptions, describe, optionalCount } from './log-arguments.js'
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type ReadOptions,
  type ReadRawResult,
  type TimestampLookup,
} from './partition-types.js'
import type { SegmentList } from './segment-list.js'
import type { Segment } from './segment.js'
import { findMaxTimestampOffset, findOffsetForTimestamp } from './timestamp-lookup.js'
import type { TruncationGate } from './truncation-gate.js'

export const DEFAULT_READ_BYTES = 1024 * 1024
const NO_BYTES = Buffer.alloc(0)

/** What the reader needs of its partition log. */
export interface ReadSource {
  readonly list: SegmentList
  /** `topic-partition`, for errors. */
  readonly name: string
  readonly truncation: TruncationGate
  /** Throws LOG_CLOSED once the log is closed. */
  ensureOpen(): void
  /** Why a segment still in the list is retired: the log closed, or stopped after a failure. */
  retiredError(): Error
}

/**
 * The read path of a partition log: raw batches (fetch), decoded batches and records, and
 * ListOffsets. Reads run concurrently with appends, truncations and retention: each attempt reads
 * the segments as they are, holding each while it reads it, and the truncation gate makes an
 * attempt that a truncation overlapped start again. Reads never see past the high watermark.
 */
export class LogReader {
  private readonly source: ReadSource
  private readonly list: SegmentList
  /** `ensureOpen`, bound once: every read attempt passes it to the truncation gate. */
  private readonly checkOpen: () => void

  constructor(source: ReadSource) {
    this.source = source
    this.list = source.list
    this.checkOpen = () => source.ensureOpen()
  }

  get segmentList(): readonly Segment[] {
    return this.list.all
  }

  get logStartOffset(): number {
    return this.list.logStartOffset
  }

  get logEndOffset(): number {
    return this.list.logEndOffset
  }

  get highWatermark(): number {
    return this.list.highWatermark
  }

  /** PartitionLog.readRaw. */
  readRaw(offset: number, options: ReadOptions = {}): Promise<ReadRawResult> {
    try {
      checkCount(offset, 'offset', 'readRaw')
      const { maxBytes, maxOffset } = checkOptions(options, 'readRaw')
      const byteBudget = optionalCount(maxBytes, 'maxBytes', 'readRaw', DEFAULT_READ_BYTES)
      const bound = maxOffset === undefined ? undefined : checkCount(maxOffset, 'maxOffset', 'readRaw')
      const { buffer } = options
      if (buffer !== undefined && !Buffer.isBuffer(buffer))
        throw new InvalidArgumentError(`readRaw: buffer must be a Buffer, got ${describe(buffer)}`)
      return this.source.truncation.read(() => this.readOnce(offset, byteBudget, bound, buffer), this.checkOpen)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * One attempt at readRaw over the segments as they are now. Each segment is held while it is
   * read, so deleting or closing it meanwhile does not pull its file away. Null when a segment it
   * reached had been retired meanwhile (by retention or a truncation): read again.
   */
  async readOnce(offset: number, maxBytes: number, maxOffsetOption: number | undefined, buffer?: Buffer): Promise<ReadRawResult | null> {
    const list = this.list
    this.checkRange(offset, 'readRaw')
    const maxOffset = Math.min(maxOffsetOption ?? list.highWatermark, list.logEndOffset)
    if (offset >= maxOffset) return { bytes: NO_BYTES, firstOffset: offset, nextOffset: offset }
    const segments = list.all
    for (let slot = list.slotFor(offset); slot < segments.length; slot++) {
      const segment = segments[slot]!
      if (!segment.acquire()) {
        // Still listed, yet retired: closed, or a truncation failed half way and stopped the log.
        if (list.all.includes(segment)) throw this.source.retiredError()
        return null
      }
      try {
        const result = await segment.read(offset, maxBytes, maxOffset, buffer)
        if (result !== null) return result
      } finally {
        segment.release()
      }
    }
    // No batch at or after `offset` anywhere: nothing is stored up to the bound, so read on from there.
    return { bytes: NO_BYTES, firstOffset: maxOffset, nextOffset: maxOffset }
  }

  /**
   * PartitionLog.batches. While the caller works through one chunk's batches the next chunk is
   * already being read (the copy runs in the thread pool beside the caller's decoding), so a
   * sequential reader does not wait for each read in turn. The read ahead stops at the high
   * watermark as it was when it started; one found nothing to read then is tried again, after
   * the chunk, against the high watermark of that moment.
   */
  async *batches(options: { from: number; to?: number; maxBytes?: number }): AsyncGenerator<RecordBatch> {
    const { from, to, maxBytes } = checkRangeOptions(options, 'batches')
    const byteBudget = optionalCount(maxBytes, 'maxBytes', 'batches', DEFAULT_READ_BYTES)
    this.source.ensureOpen()
    this.checkRange(from, 'batches')
    let pending = this.readChunk(from, to, byteBudget)
    while (pending !== null) {
      const { bytes, nextOffset } = await pending
      // readRaw steps over gaps between segments; empty means nothing more is readable below the bound.
      if (bytes.length === 0) return
      pending = this.readChunk(nextOffset, to, byteBudget)
      const scanner = new BatchScanner(bytes, { acceptLegacy: true })
      for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
        if (to !== undefined && batch.baseOffset >= to) return
        yield batch
      }
      pending ??= this.readChunk(nextOffset, to, byteBudget)
    }
  }

  /**
   * The next chunk of `batches` from `offset`, or null when nothing is readable below the bound
   * now. Failures come as a rejected promise, so they surface where the chunk is awaited (after
   * the batches before it), as they did when chunks were read one after another.
   */
  private readChunk(offset: number, to: number | undefined, maxBytes: number): Promise<ReadRawResult> | null {
    const list = this.list
    if (offset >= Math.min(to ?? Infinity, list.highWatermark)) return null
    const read =
      offset < list.logStartOffset
        ? Promise.reject(new OffsetOutOfRangeError(offset, list.logStartOffset, list.logEndOffset, `${this.source.name} batches`))
        : this.readRaw(offset, { maxBytes, maxOffset: list.highWatermark })
    // A caller may stop early or drop the iterator: a read ahead nobody awaits must not fail the process.
    read.catch(ignore)
    return read
  }

  /** PartitionLog.records. */
  async *records(options: { from: number; to?: number }): AsyncGenerator<DecodedRecord> {
    const { from, to = Infinity } = checkRangeOptions(options, 'records')
    for await (const batch of this.batches(options)) {
      if (batch.isControl) continue
      for (const record of batch.records()) {
        if (record.offset < from) continue
        if (record.offset >= to) return
        yield record
      }
    }
  }

  /** PartitionLog.offsetForTimestamp. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampLookup | null> {
    this.source.ensureOpen()
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.list.logStartOffset, timestamp: -1 }
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.list.highWatermark, timestamp: -1 }
    if (timestamp !== MAX_TIMESTAMP && (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0)) {
      throw new InvalidArgumentError(
        `offsetForTimestamp: timestamp must be a non-negative integer or -1, -2, -3; got ${describe(timestamp)}`,
      )
    }
    const lookup = async (): Promise<{ found: TimestampLookup | null }> => ({
      found: timestamp === MAX_TIMESTAMP ? await findMaxTimestampOffset(this) : await findOffsetForTimestamp(this, timestamp),
    })
    return (await this.source.truncation.read(lookup, this.checkOpen)).found
  }

  private checkRange(offset: number, where: string): void {
    const list = this.list
    if (offset < list.logStartOffset || offset > list.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, list.logStartOffset, list.logEndOffset, `${this.source.name} ${where}`)
    }
  }
}

function ignore(): void {}

/** The `{ from, to }` options of batches() and records(), checked. */
function checkRangeOptions<T extends { from: number; to?: number }>(options: T, where: string): T {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`${where}: options must be an object with \`from\`, got ${describe(options)}`)
  checkCount(options.from, 'from', where)
  if (options.to !== undefined) checkCount(options.to, 'to', where)
  return options
}
