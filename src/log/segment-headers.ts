import assert from 'node:assert'
import { checkBatchCrcAt } from '../record/batch-header-at.js'
import { readBatchPrefix, readLastOffsetDelta } from '../record/batch-scanner.js'
import { CorruptRecordError } from '../record/errors.js'
import { readSafeInt64BE } from '../record/int64.js'
import { BATCH_HEADER_SIZE, BATCH_PREFIX_SIZE, CURRENT_MAGIC, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET } from '../record/record-batch.js'
import { LEGACY_TIMESTAMP_OFFSET } from '../record/legacy-message.js'
import { readAtSync } from './file-io.js'
import type { SegmentFile } from './file-system.js'

/** The batch wanted usually starts at or just after an indexed position: read a little first. */
const FIRST_CHUNK_BYTES = 4 * 1024
/** The largest read of a walk, and of a whole log a walk may take in one read (`readsWhole`). */
export const MAX_CHUNK_BYTES = 64 * 1024

/** One buffer for every walk: walks are synchronous and never interleave (asserted). */
const scratch = Buffer.allocUnsafe(MAX_CHUNK_BYTES)
let activeWalk: HeaderWalk | null = null

/**
 * The one reader of batch headers in a segment's `.log`: lookups (which batch holds an offset),
 * the tail scan after a clean open, and the checks of the indexes' last entries all walk headers
 * forward with it. It reads a small chunk first (a lookup usually needs one header) and larger
 * ones while it walks on, so a header costs no system call of its own.
 *
 * The fields describe the header `next()` returned last. A walk is synchronous from start to end
 * (reads this small are cheaper from the page cache than through the thread pool), which is what
 * lets every walk share one buffer; starting a walk ends the previous one.
 *
 * Damage is thrown as CorruptRecordError with the file and position: bad framing (a length below
 * the header, a wrong magic, an unsafe base offset), a batch that runs past `end`, and fewer bytes
 * than a header where a batch must start (the file is shorter than the segment).
 */
export class HeaderWalk {
  /** File position of the batch `next()` returned last. */
  position = -1
  size = 0
  baseOffset = 0
  lastOffset = 0
  /** The current entry is a legacy message (magic 0 or 1), not a v2 batch. */
  isLegacy = false
  private readonly file: SegmentFile
  private readonly name: string
  private readonly end: number
  private nextPosition: number
  /** File position of `scratch[0]` and how many bytes of it hold file data. */
  private chunkPosition = 0
  private chunkLength = 0
  private chunkBytes = FIRST_CHUNK_BYTES

  /**
   * Walks the batches from `position` (a batch start) up to `end`, exclusive. `readsWhole`: the
   * first read takes everything up to `end` (at most MAX_CHUNK_BYTES), for a walk that will visit
   * every batch of a small log.
   */
  constructor(file: SegmentFile, name: string, position: number, end: number, readsWhole = false) {
    this.file = file
    this.name = name
    this.nextPosition = position
    this.end = end
    if (readsWhole) this.chunkBytes = MAX_CHUNK_BYTES
    // Module state, not an alias: it records which walk owns the shared buffer (checked in next()).
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    activeWalk = this
  }

  /** Moves to the next batch; false once the walk reaches `end`. */
  next(): boolean {
    assert(activeWalk === this, 'header walks share one buffer and must not interleave')
    const position = this.nextPosition
    if (position >= this.end) return false
    if (this.end - position < BATCH_PREFIX_SIZE) {
      // Not even a prefix (offset, length, epoch, magic) is left: a batch cut in its first bytes.
      const left = this.end - position
      throw new CorruptRecordError('truncated-record', position, `${left} bytes where a batch must start`, this.name)
    }
    let at = position - this.chunkPosition
    if (this.chunkLength === 0 || at < 0 || at + Math.min(BATCH_HEADER_SIZE, this.end - position) > this.chunkLength) {
      this.fill(position)
      at = 0
    }
    let size: number
    try {
      const prefix = readBatchPrefix(scratch, at, true)
      this.baseOffset = prefix.baseOffset
      size = prefix.size
    } catch (error) {
      throw error instanceof CorruptRecordError ? error.inFile(this.name, this.chunkPosition) : error
    }
    if (position + size > this.end) {
      throw new CorruptRecordError(
        'truncated-record',
        position,
        `the batch declares ${size} bytes but the segment ends ${this.end - position} bytes after its start`,
        this.name,
      )
    }
    this.position = position
    this.size = size
    // A legacy entry's offset field is its last offset; its first needs the messages decoded, so
    // walks (which look for the entry holding an offset) use the last for both.
    this.isLegacy = scratch[at + MAGIC_OFFSET] !== CURRENT_MAGIC
    this.lastOffset = this.isLegacy ? this.baseOffset : this.baseOffset + readLastOffsetDelta(scratch, at)
    this.nextPosition = position + size
    return true
  }

  /**
   * Continues the walk from `position` (a batch start, earlier or later), keeping the bytes read
   * so far: checks that look at the same batches one after another, in one synchronous run (the
   * file cannot change in between), read them once.
   */
  restart(position: number): void {
    // Claims the buffer back; its bytes are this walk's only while no other walk has read into it.
    if (activeWalk !== this) this.chunkLength = 0
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    activeWalk = this
    this.nextPosition = position
  }

  /** Whether the current batch's bytes are all in the chunk read (then `checkCrc` needs no read). */
  get isBatchRead(): boolean {
    return this.position + this.size <= this.chunkPosition + this.chunkLength
  }

  /**
   * Checks the CRC of the current v2 batch, which must lie wholly in the chunk read
   * (`isBatchRead`): throws CorruptRecordError ('bad-crc') positioned in the file.
   */
  checkCrc(): void {
    assert(activeWalk === this, 'header walks share one buffer and must not interleave')
    assert(!this.isLegacy && this.isBatchRead, 'a CRC is checked over a whole v2 batch already read')
    try {
      checkBatchCrcAt(scratch, this.position - this.chunkPosition, this.size)
    } catch (error) {
      throw error instanceof CorruptRecordError ? error.inFile(this.name, this.chunkPosition) : error
    }
  }

  /** Max timestamp of the current batch, from its header. */
  maxTimestamp(): number {
    assert(activeWalk === this, 'header walks share one buffer and must not interleave')
    try {
      const at = this.position - this.chunkPosition
      if (this.isLegacy) return scratch[at + MAGIC_OFFSET] === 0 ? -1 : readSafeInt64BE(scratch, at + LEGACY_TIMESTAMP_OFFSET)
      return readSafeInt64BE(scratch, at + MAX_TIMESTAMP_OFFSET)
    } catch (error) {
      throw error instanceof CorruptRecordError ? error.inFile(this.name, this.chunkPosition) : error
    }
  }

  /** Reads a chunk starting at `position`, which must hold at least a whole header. */
  private fill(position: number): void {
    const want = Math.min(this.chunkBytes, this.end - position)
    const got = want < BATCH_PREFIX_SIZE ? want : readAtSync(this.file, this.name, scratch, 0, want, position)
    this.chunkBytes = Math.min(this.chunkBytes * 4, MAX_CHUNK_BYTES)
    this.chunkPosition = position
    this.chunkLength = got
    // A legacy entry may be shorter than a v2 header: ask only for what the segment still holds.
    if (got < Math.max(BATCH_PREFIX_SIZE, Math.min(BATCH_HEADER_SIZE, this.end - position))) {
      // Fewer bytes than a header where a batch must start: the segment ends early, or its file
      // is shorter than when it was opened (cut under us).
      throw new CorruptRecordError(
        'truncated-record',
        position,
        `${got} bytes where a ${BATCH_HEADER_SIZE}-byte batch header must start; the segment should hold ${this.end - position}`,
        this.name,
      )
    }
  }
}

/** Where a batch sits in a segment, found by walking headers. */
export interface BatchLocation {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
}

/**
 * The first batch from `position` on whose last offset is >= `offset`, or null if none before
 * `end` reaches it. Offsets that do not ascend are damage too (CorruptRecordError), never a
 * reason to step over records.
 */
export function findBatch(file: SegmentFile, name: string, position: number, end: number, offset: number): BatchLocation | null {
  const walk = new HeaderWalk(file, name, position, end)
  let previousLastOffset = -1
  while (walk.next()) {
    const { baseOffset, lastOffset } = walk
    if (baseOffset <= previousLastOffset || lastOffset < baseOffset) {
      throw new CorruptRecordError(
        'bad-offset',
        walk.position,
        `batch offsets ${baseOffset}..${lastOffset} do not follow ${previousLastOffset}`,
        name,
      )
    }
    if (lastOffset >= offset) return { position: walk.position, size: walk.size, baseOffset, lastOffset }
    previousLastOffset = lastOffset
  }
  return null
}
