import fs from 'node:fs'
import { readBatchPrefix, readLastOffsetDelta } from '../record/batch-scanner.js'
import { CorruptRecordError } from '../record/errors.js'
import { BATCH_HEADER_SIZE, BATCH_PREFIX_SIZE, MAX_TIMESTAMP_OFFSET } from '../record/record-batch.js'
import { readSafeInt64BE } from '../record/int64.js'
import { CorruptIndexError, IoError, wrapIo } from './errors.js'
import { FileBatchReader } from './file-batch-reader.js'
import { FileHandle } from './file-handle.js'
import { fdatasync, readAt, writevAt } from './file-io.js'
import { OffsetIndex } from './offset-index.js'
import { DELETED_SUFFIX, quarantineFileName, segmentPaths, type SegmentPaths } from './segment-files.js'
import { TimeIndex } from './time-index.js'

/** The limits that decide when a segment rolls and how dense its indexes are. */
export interface SegmentConfig {
  segmentBytes: number
  segmentMs: number
  segmentIndexBytes: number
  indexIntervalBytes: number
}

/** What the log knows about a batch it is about to append (read once from its header). */
export interface BatchMeta {
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  size: number
}

/** Where a batch sits in a segment, found by scanning headers. */
export interface BatchLocation {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
}

export interface RecoverResult {
  /** Bytes of whole, valid batches kept. */
  validBytes: number
  /** Bytes after them (torn tail or corruption) that recovery did not keep. */
  invalidBytes: number
  /** Why the scan stopped early, if it did. */
  error: CorruptRecordError | null
}

const MAX_RELATIVE_OFFSET = 0x7fffffff
const HEADER_SCAN_BYTES = 64 * 1024
const FIRST_HEADER_SCAN_BYTES = 4 * 1024
const RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024

/**
 * One `.log` file with its `.index` and `.timeindex`. The segment owns the log file descriptor,
 * the indexes and the counters behind Kafka's index-entry rule. It has a single writer (the
 * partition log serializes appends); readers may call the read methods concurrently with an
 * append and only ever see bytes below `size`, which moves after a write completes. A reader
 * holds the descriptor (`acquire`/`release`) for the length of its read, so deleting or closing
 * the segment meanwhile never pulls it from under the read. Nothing is durable until `flush()`
 * resolves.
 */
export class Segment {
  readonly baseOffset: number
  readonly paths: SegmentPaths
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  private readonly config: SegmentConfig
  private readonly handle: FileHandle
  /** Bytes of whole batches; readers never look past it. */
  size: number
  /** Offset after the last batch, or the base offset for an empty segment. */
  nextOffset: number
  /** Largest batch max timestamp so far and the last offset of that batch (-1 when none). */
  maxTimestampSoFar = -1
  offsetOfMaxTimestampSoFar = -1
  /** Bytes appended since the last offset index entry (Kafka's bytesSinceLastIndexEntry). */
  private bytesSinceLastIndexEntry = 0
  /** Max timestamp of the first batch, for time-based rolls (null: not known yet). */
  private firstBatchTimestamp: number | null
  readonly createdMs: number
  /** Bytes below which every batch's CRC has been checked since open. */
  verifiedSize: number
  /** A failed write left bytes past `size` that could not be cut off. */
  hasUncutTail = false
  /** Renamed to `.deleted` or unlinked: its index files must not be read or written again. */
  private isDeleted = false
  /**
   * Damage a rebuild of the indexes met in this (durable) log. The segment keeps its extent, so a
   * read reaching the damage fails instead of skipping it; time queries fail with it, since the
   * largest timestamp of the damaged part is unknown.
   */
  private damage: CorruptRecordError | null = null
  /** Whether the indexes are known to agree with the log (always, for segments built here). */
  private indexesChecked: boolean

  private constructor(dir: string, baseOffset: number, config: SegmentConfig, fd: number, size: number, isNew: boolean, nowMs: number) {
    this.baseOffset = baseOffset
    this.paths = segmentPaths(dir, baseOffset)
    this.config = config
    this.handle = new FileHandle(fd)
    this.size = size
    this.nextOffset = baseOffset
    this.offsetIndex = new OffsetIndex(this.paths.index, baseOffset, config.segmentIndexBytes, isNew)
    this.timeIndex = new TimeIndex(this.paths.timeIndex, baseOffset, config.segmentIndexBytes, isNew)
    this.firstBatchTimestamp = null
    this.createdMs = nowMs
    this.verifiedSize = 0
    this.indexesChecked = isNew
  }

  /** Creates the three files of a new, empty segment. The caller fsyncs the directory. */
  static create(dir: string, baseOffset: number, config: SegmentConfig, nowMs: number): Segment {
    const paths = segmentPaths(dir, baseOffset)
    const fd = wrapIo('create', paths.log, () => fs.openSync(paths.log, 'wx+', 0o644))
    const segment = new Segment(dir, baseOffset, config, fd, 0, true, nowMs)
    segment.offsetIndex.reset()
    segment.timeIndex.reset()
    return segment
  }

  /**
   * Opens an existing segment without reading its batches. The caller then either recovers it
   * (`recover`) or trusts it after a clean shutdown (`loadTail`).
   */
  static open(dir: string, baseOffset: number, config: SegmentConfig): Segment {
    const paths = segmentPaths(dir, baseOffset)
    const fd = wrapIo('open', paths.log, () => fs.openSync(paths.log, 'r+'))
    const { size, mtimeMs } = wrapIo('stat', paths.log, () => fs.fstatSync(fd))
    return new Segment(dir, baseOffset, config, fd, size, false, mtimeMs)
  }

  get isEmpty(): boolean {
    return this.size === 0
  }

  /** Deleted or closed: no new read may start on it (reads already holding it finish). */
  get isRetired(): boolean {
    return this.isDeleted || this.handle.isClosed
  }

  /** Holds the descriptor for one read; false once the segment is retired (read elsewhere then). */
  acquire(): boolean {
    return !this.isDeleted && this.handle.acquire()
  }

  release(): void {
    this.handle.release()
  }

  /**
   * Largest record timestamp in the segment, or -1 if it has none. Throws the CorruptRecordError
   * of a damaged segment (see `damage`): a guess would let a time query skip the damaged records.
   */
  get largestTimestamp(): number {
    this.ensureIndexes()
    if (this.damage !== null) throw this.damage
    return this.maxTimestampSoFar
  }

  /**
   * The largest timestamp for retention: -1 (retention then goes by the file's age) when damage
   * makes it unknown, so a damaged segment does not stop retention for good.
   */
  get largestTimestampForRetention(): number {
    try {
      this.ensureIndexes()
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error
    }
    return this.damage === null ? this.maxTimestampSoFar : -1
  }

  /** Kafka's roll rules, checked before appending `incoming` (pure apart from reading state). */
  shouldRoll(incomingBytes: number, incomingMaxTimestamp: number, incomingLastOffset: number, nowMs: number): boolean {
    // Even an empty segment cannot take offsets its int32 relative offsets cannot express.
    if (incomingLastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) return true
    if (this.size === 0) return false
    if (this.size + incomingBytes > this.config.segmentBytes) return true
    const first = this.firstBatchTimestamp
    const waited = first !== null && first >= 0 ? incomingMaxTimestamp - first : nowMs - this.createdMs
    if (waited > this.config.segmentMs) return true
    return this.offsetIndex.isFull() || this.timeIndex.isFull()
  }

  /**
   * Appends whole batches at the end of the log in one writev and updates the indexes. The batches'
   * offsets must follow `nextOffset`. On a write failure the file is cut back to its previous size
   * so no partial batch stays behind, and the error is rethrown.
   */
  async append(buffers: Buffer[], metas: readonly BatchMeta[]): Promise<void> {
    if (this.hasUncutTail) throw new IoError('append to', this.paths.log, new Error('an earlier failed write could not be cut back'))
    const startSize = this.size
    try {
      await writevAt(this.handle.fd, this.paths.log, buffers, startSize)
    } catch (error) {
      try {
        fs.ftruncateSync(this.handle.fd, startSize)
      } catch {
        // Part of a batch may be left in the file: the partition must stop taking writes, and
        // reopening recovers the tail.
        this.hasUncutTail = true
      }
      throw error
    }
    let position = startSize
    for (const meta of metas) {
      this.indexBatch(meta, position)
      position += meta.size
    }
    this.size = position
    this.verifiedSize = position
  }

  /** Kafka's per-batch index rule: an entry when more than indexIntervalBytes lie since the last. */
  private indexBatch(meta: BatchMeta, position: number): void {
    if (this.firstBatchTimestamp === null) this.firstBatchTimestamp = meta.maxTimestamp
    if (meta.maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = meta.maxTimestamp
      this.offsetOfMaxTimestampSoFar = meta.lastOffset
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      // The roll check runs once per append, so an append of several batches can fill an index
      // part way through: the rest of that append then just goes unindexed (lookups scan further).
      if (!this.offsetIndex.isFull()) this.offsetIndex.append(meta.lastOffset, position)
      if (!this.timeIndex.isFull()) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += meta.size
    this.nextOffset = meta.lastOffset + 1
  }

  /**
   * Scans every batch from the start, checking framing, CRC and ascending offsets, and rebuilds
   * both indexes. Stops at the first bad byte; the segment then ends there (`size`), but the file
   * keeps its bytes until the caller decides with `cutTail`. Synchronous: it runs while a
   * partition opens, and is bound by the CRC rate.
   */
  recover(): RecoverResult {
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.resetCounters()
    const fileSize = wrapIo('stat', this.paths.log, () => fs.fstatSync(this.handle.fd).size)
    const reader = new FileBatchReader(this.handle.fd, this.paths.log, { end: fileSize, chunkBytes: RECOVERY_CHUNK_BYTES })
    let validBytes = 0
    let error: CorruptRecordError | null = null
    try {
      for (let batch = reader.next(); batch !== null; batch = reader.next()) {
        const position = reader.batchPosition
        try {
          batch.ensureValid()
        } catch (cause) {
          throw cause instanceof CorruptRecordError ? cause.inFile(this.paths.log, position) : cause
        }
        const baseOffset = batch.baseOffset
        const lastOffset = baseOffset + batch.lastOffsetDelta
        if (baseOffset < this.nextOffset || lastOffset < baseOffset || lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) {
          throw new CorruptRecordError('bad-offset', position, `batch offsets ${baseOffset}..${lastOffset} do not follow ${this.nextOffset - 1} in a segment based at ${this.baseOffset}`, this.paths.log)
        }
        this.indexBatch({ baseOffset, lastOffset, maxTimestamp: batch.maxTimestamp, size: batch.sizeInBytes }, position)
        validBytes = reader.position
      }
      if (reader.trailingBytes > 0) {
        error = new CorruptRecordError('truncated-record', validBytes, `${reader.trailingBytes} bytes of a partial batch at the end`, this.paths.log)
      }
    } catch (cause) {
      if (!(cause instanceof CorruptRecordError)) throw cause
      error = cause
    }
    this.size = validBytes
    this.verifiedSize = validBytes
    this.indexesChecked = true
    // As Kafka does at the end of recovery: the closing entry, so that the last entry carries the
    // segment's largest timestamp (a closed segment's largest timestamp is read from it later).
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true)
    this.offsetIndex.flush()
    this.timeIndex.flush()
    return { validBytes, invalidBytes: fileSize - validBytes, error }
  }

  /**
   * Cuts the file at `size` (after `recover` found a bad tail), first copying the cut bytes into
   * a quarantine file when asked. Returns the quarantine file, if one was written.
   */
  cutTail(options: { quarantine: boolean }): string | null {
    const fileSize = wrapIo('stat', this.paths.log, () => fs.fstatSync(this.handle.fd).size)
    if (fileSize <= this.size) return null
    const quarantineFile = options.quarantine ? this.copyToQuarantine(this.size, fileSize) : null
    wrapIo('truncate', this.paths.log, () => fs.ftruncateSync(this.handle.fd, this.size))
    wrapIo('fsync', this.paths.log, () => fs.fdatasyncSync(this.handle.fd))
    return quarantineFile
  }

  /** Copies bytes [from, to) of the log into `<log>.<from>.quarantine` and fsyncs it. */
  private copyToQuarantine(from: number, to: number): string {
    const file = uniqueFile(quarantineFileName(this.paths.log, from))
    const bytes = Buffer.allocUnsafe(to - from)
    wrapIo('read', this.paths.log, () => fs.readSync(this.handle.fd, bytes, 0, bytes.length, from))
    wrapIo('write', file, () => {
      const fd = fs.openSync(file, 'w', 0o644)
      try {
        fs.writeSync(fd, bytes)
        fs.fdatasyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
    })
    return file
  }

  /** Moves the whole log into quarantine (a segment after a cut one) and drops its indexes. */
  quarantineWhole(): string {
    this.close()
    const file = uniqueFile(quarantineFileName(this.paths.log, 0))
    wrapIo('rename', this.paths.log, () => fs.renameSync(this.paths.log, file))
    for (const index of [this.paths.index, this.paths.timeIndex]) wrapIo('unlink', index, () => fs.rmSync(index, { force: true }))
    return file
  }

  private resetCounters(): void {
    this.nextOffset = this.baseOffset
    this.maxTimestampSoFar = -1
    this.offsetOfMaxTimestampSoFar = -1
    this.bytesSinceLastIndexEntry = 0
    this.firstBatchTimestamp = null
  }

  /**
   * Trusts the log after a clean shutdown, but not the indexes: runs their sanity checks, finds
   * the next offset by scanning headers from the last index entry, and takes the largest
   * timestamp from the time index. Throws CorruptIndexError when an index is bad (the caller then
   * rebuilds it with `recover`) and CorruptRecordError when the tail is not whole batches.
   */
  async loadTail(): Promise<void> {
    this.indexesChecked = true
    this.offsetIndex.sanityCheck(this.size, null)
    this.checkLastOffsetEntrySync()
    const last = this.offsetIndex.lastEntry()
    let position = last?.position ?? 0
    let nextOffset = this.baseOffset
    let lastBatchMaxTimestamp = -1
    let lastBatchOffset = -1
    let bytesSinceLastIndexEntry = 0
    const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE)
    while (position < this.size) {
      const location = await this.readBatchLocation(position, header)
      if (location === null || position + location.size > this.size) {
        throw new CorruptRecordError('truncated-record', position, 'the segment does not end on a batch boundary', this.paths.log)
      }
      nextOffset = location.lastOffset + 1
      lastBatchMaxTimestamp = readSafeInt64BE(header, MAX_TIMESTAMP_OFFSET)
      lastBatchOffset = location.lastOffset
      // Entry rule: the indexed batch resets the counter, later ones add to it.
      bytesSinceLastIndexEntry = last !== null && position === last.position ? location.size : bytesSinceLastIndexEntry + location.size
      position += location.size
    }
    if (last === null) bytesSinceLastIndexEntry = this.size
    if (this.size > 0 && (await this.readBatchLocation(0, header)) !== null) {
      this.firstBatchTimestamp = readSafeInt64BE(header, MAX_TIMESTAMP_OFFSET)
    }
    this.nextOffset = nextOffset
    this.offsetIndex.sanityCheck(this.size, nextOffset)
    this.timeIndex.sanityCheck(nextOffset)
    this.checkLastTimeEntrySync()
    const lastTime = this.timeIndex.lastEntry()
    if (lastTime !== null) {
      this.maxTimestampSoFar = lastTime.timestamp
      this.offsetOfMaxTimestampSoFar = lastTime.offset
    }
    if (lastBatchMaxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = lastBatchMaxTimestamp
      this.offsetOfMaxTimestampSoFar = lastBatchOffset
    }
    this.bytesSinceLastIndexEntry = bytesSinceLastIndexEntry
  }

  /**
   * Loads and checks the indexes of a segment opened after a clean shutdown, on first use (a
   * lookup or a time query), and rebuilds them from the log when a check fails. `nextOffset` must
   * already be known (the next segment's base offset bounds a closed segment). Corruption found in
   * the log itself while rebuilding is thrown: that data was durable and must not be cut silently.
   * A retired segment's index files may be gone or belong to a new segment of the same name, so
   * it touches none: its lookups then scan from the start of the log.
   */
  ensureIndexes(): void {
    if (this.indexesChecked || this.isRetired) return
    try {
      this.offsetIndex.sanityCheck(this.size, this.nextOffset)
      this.timeIndex.sanityCheck(this.nextOffset)
      this.checkLastOffsetEntrySync()
      this.checkLastTimeEntrySync()
      const last = this.timeIndex.lastEntry()
      if (last !== null && last.timestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = last.timestamp
        this.offsetOfMaxTimestampSoFar = last.offset
      }
    } catch (error) {
      if (!(error instanceof CorruptIndexError)) throw error
      this.rebuildIndexesKeepingExtent()
    }
    this.indexesChecked = true
  }

  /**
   * Rebuilds the indexes of a segment in use. If the log is damaged, the segment keeps its size and
   * next offset (recovery would end it at the damage, and every later read would then step over
   * the damaged records into the next segment); the indexes cover the whole batches before the
   * damage, and the damage is thrown now and met again by every read that reaches it.
   */
  private rebuildIndexesKeepingExtent(): void {
    const { size, nextOffset } = this
    const result = this.recover()
    if (result.error === null) return
    this.size = size
    this.nextOffset = nextOffset
    this.damage = result.error
    throw result.error
  }

  /**
   * Kafka's sanity checks pass a zero-filled one-entry index, or an emptied one (KAFKA-10207), and
   * a closed segment's largest timestamp is then read from a wrong last entry. So the last entry
   * of each index is also checked against the log: the offset entry must name the batch starting
   * at its position. Throws CorruptIndexError, upon which the caller rebuilds.
   */
  private checkLastOffsetEntrySync(): void {
    const last = this.offsetIndex.lastEntry()
    if (last === null) return
    const batch = this.headerAtSync(last.position, Buffer.allocUnsafe(BATCH_HEADER_SIZE))
    if (batch === null || batch.lastOffset !== last.offset) {
      throw new CorruptIndexError(this.offsetIndex.file, (this.offsetIndex.entries - 1) * OffsetIndex.ENTRY_SIZE, `last entry (${last.offset}, ${last.position}) does not name the batch at that position`)
    }
  }

  /**
   * The time entry must name a batch ending at its offset whose max timestamp it carries, and a
   * non-empty segment must have one: seal and recovery always write it when the segment has
   * timestamps (so a segment without any gets rebuilt on first use, which finds none again).
   */
  private checkLastTimeEntrySync(): void {
    const last = this.timeIndex.lastEntry()
    if (last === null) {
      if (this.size > 0) throw new CorruptIndexError(this.timeIndex.file, 0, 'no entry for a non-empty segment')
      return
    }
    const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE)
    let position = this.offsetIndex.lookup(last.offset).position
    for (let batch = this.headerAtSync(position, header); batch !== null && batch.lastOffset <= last.offset; batch = this.headerAtSync(position, header)) {
      if (batch.lastOffset === last.offset && readSafeInt64BE(header, MAX_TIMESTAMP_OFFSET) === last.timestamp) return
      position += batch.size
    }
    throw new CorruptIndexError(this.timeIndex.file, (this.timeIndex.entries - 1) * TimeIndex.ENTRY_SIZE, `last entry (${last.timestamp}, ${last.offset}) does not match a batch of the log`)
  }

  /** The header of the batch at `position` read synchronously, or null if there is no valid one. */
  private headerAtSync(position: number, header: Buffer): BatchLocation | null {
    if (position + BATCH_HEADER_SIZE > this.size) return null
    const got = wrapIo('read', this.paths.log, () => fs.readSync(this.handle.fd, header, 0, BATCH_HEADER_SIZE, position))
    if (got < BATCH_HEADER_SIZE) return null
    try {
      const { baseOffset, size } = readBatchPrefix(header, 0)
      if (position + size > this.size) return null
      return { position, size, baseOffset, lastOffset: baseOffset + readLastOffsetDelta(header, 0) }
    } catch (error) {
      if (error instanceof CorruptRecordError) return null
      throw error
    }
  }

  /** Rebuilds both indexes by scanning the log, which must be wholly valid. */
  rebuildIndexes(): void {
    const result = this.recover()
    if (result.error !== null) throw result.error
    this.indexesChecked = true
  }

  /** Reads the header of the batch at `position` into `header` (61 bytes), or null at the end. */
  async readBatchLocation(position: number, header: Buffer): Promise<BatchLocation | null> {
    const want = Math.min(BATCH_HEADER_SIZE, this.size - position)
    if (want < BATCH_PREFIX_SIZE) return null
    const got = await readAt(this.handle.fd, this.paths.log, header, 0, want, position)
    if (got < BATCH_HEADER_SIZE) {
      if (got >= BATCH_PREFIX_SIZE) this.prefixAt(header, position)
      return null
    }
    const { baseOffset, size } = this.prefixAt(header, position)
    return { position, size, baseOffset, lastOffset: baseOffset + readLastOffsetDelta(header, 0) }
  }

  private prefixAt(buf: Buffer, position: number): { baseOffset: number; size: number } {
    try {
      return readBatchPrefix(buf, 0)
    } catch (error) {
      throw error instanceof CorruptRecordError ? error.inFile(this.paths.log, position) : error
    }
  }

  /**
   * The first batch whose last offset is >= `offset`, scanning headers forward from the offset
   * index's floor entry, or null if no batch of this segment reaches `offset`. Every header passed
   * on the way is checked: a batch that runs past the end of the segment, bytes too few for a
   * header at its end, or offsets that do not ascend are damage (CorruptRecordError), never a
   * reason to step over records. The caller holds the segment (`acquire`), or runs in the
   * log's queue.
   */
  async findBatch(offset: number): Promise<BatchLocation | null> {
    this.ensureIndexes()
    const end = this.size
    let position = this.indexesChecked ? this.offsetIndex.lookup(offset).position : 0
    let previousLastOffset = -1
    // The batch wanted usually starts at or just after the indexed position: read a little first
    // and more only while scanning on (a lookup then costs one small read, not 64 KiB).
    let chunkBytes = FIRST_HEADER_SCAN_BYTES
    while (position < end) {
      const chunk = Buffer.allocUnsafe(Math.max(BATCH_HEADER_SIZE, Math.min(chunkBytes, end - position)))
      chunkBytes = Math.min(chunkBytes * 4, HEADER_SCAN_BYTES)
      const want = Math.min(chunk.length, end - position)
      const got = await readAt(this.handle.fd, this.paths.log, chunk, 0, want, position)
      let at = 0
      while (at + BATCH_HEADER_SIZE <= got) {
        const batchPosition = position + at
        const { baseOffset, size } = this.prefixAt(chunk.subarray(at), batchPosition)
        const lastOffset = baseOffset + readLastOffsetDelta(chunk, at)
        if (batchPosition + size > end) {
          throw new CorruptRecordError('truncated-record', batchPosition, `the batch declares ${size} bytes but the segment ends ${end - batchPosition} bytes after its start`, this.paths.log)
        }
        if (baseOffset <= previousLastOffset || lastOffset < baseOffset) {
          throw new CorruptRecordError('bad-offset', batchPosition, `batch offsets ${baseOffset}..${lastOffset} do not follow ${previousLastOffset}`, this.paths.log)
        }
        if (lastOffset >= offset) return { position: batchPosition, size, baseOffset, lastOffset }
        previousLastOffset = lastOffset
        at += size
      }
      if (at === 0) {
        // Fewer bytes than a header where a batch must start: the file ends early (cut, or
        // shorter than when it was opened).
        throw new CorruptRecordError('truncated-record', position, `${got} bytes where a ${BATCH_HEADER_SIZE}-byte batch header must start; the segment should hold ${end - position}`, this.paths.log)
      }
      position += at
    }
    return null
  }

  /** Reads `length` bytes at `position` into a fresh buffer (never past `size`). */
  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, position + length)
    const buf = Buffer.allocUnsafe(Math.max(0, end - position))
    const got = await readAt(this.handle.fd, this.paths.log, buf, 0, buf.length, position)
    return got === buf.length ? buf : buf.subarray(0, got)
  }

  /**
   * Cuts the segment at `location` (found by `findBatch`): that batch and everything after it go,
   * and the cut is fsynced. Synchronous, so no reader or fsync round runs in the middle of it.
   * If the bytes before the cut are damaged, the segment keeps the cut as its end (nothing before
   * it is dropped silently) and the damage is thrown.
   */
  cutAt(location: BatchLocation): void {
    wrapIo('truncate', this.paths.log, () => fs.ftruncateSync(this.handle.fd, location.position))
    this.syncSync()
    // Rebuilding from the log is simplest and exact: counters, max timestamp and both indexes.
    const result = this.recover()
    if (result.error === null) return
    this.size = location.position
    this.nextOffset = location.baseOffset
    this.damage = result.error
    throw result.error
  }

  /**
   * Writes staged index entries and fsyncs the log (not the indexes: they are rebuilt if lost).
   * A retired segment is skipped: its data is being removed, and its index files are not its own.
   */
  async flush(): Promise<void> {
    if (!this.acquire()) return
    try {
      this.offsetIndex.flush()
      this.timeIndex.flush()
      await fdatasync(this.handle.fd, this.paths.log)
    } finally {
      this.release()
    }
  }

  /**
   * Makes the segment inactive: the final time-index entry that carries the segment's largest
   * timestamp (Kafka reads it for retention), staged entries written, everything fsynced.
   */
  async seal(): Promise<void> {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true)
    await this.flush()
    this.offsetIndex.sync()
    this.timeIndex.sync()
  }

  /**
   * Writes staged index entries and closes the log file: at once, or when the last read holding
   * it ends.
   */
  close(): void {
    if (this.handle.isClosed) return
    if (!this.isDeleted) {
      this.offsetIndex.flush()
      this.timeIndex.flush()
    }
    this.handle.close(this.paths.log)
  }

  /**
   * First step of deleting a segment: its files get the `.deleted` suffix (the caller fsyncs the
   * directory), so a crash before `deleteFiles` leaves nothing ambiguous: open removes them.
   * The file descriptor stays open so in-flight reads finish.
   */
  markDeleted(): void {
    this.isDeleted = true
    for (const key of ['log', 'index', 'timeIndex'] as const) {
      const file = this.paths[key]
      const target = file + DELETED_SUFFIX
      wrapIo('rename', file, () => {
        try {
          fs.renameSync(file, target)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        }
      })
      this.paths[key] = target
    }
  }

  /** Last modification time of the log file (retention's fallback for segments without timestamps). */
  modifiedMs(): number {
    return wrapIo('stat', this.paths.log, () => fs.fstatSync(this.handle.fd).mtimeMs)
  }

  /** Closes the file without writing anything (after an I/O failure). */
  closeQuietly(): void {
    this.handle.closeQuietly()
  }

  /** fsyncs the log synchronously (after recovery, before its data counts as durable). */
  syncSync(): void {
    wrapIo('fsync', this.paths.log, () => fs.fdatasyncSync(this.handle.fd))
  }

  /** Closes the segment and removes its three files (reads holding it still finish). */
  deleteFiles(): void {
    this.isDeleted = true
    this.close()
    for (const file of [this.paths.log, this.paths.index, this.paths.timeIndex]) {
      wrapIo('unlink', file, () => fs.rmSync(file, { force: true }))
    }
  }
}

export { CorruptIndexError }

/** `file`, or `file` with `-1`, `-2`, … before its suffix if it exists already (a second recovery). */
function uniqueFile(file: string): string {
  if (!fs.existsSync(file)) return file
  const dot = file.lastIndexOf('.')
  for (let attempt = 1; ; attempt++) {
    const candidate = `${file.slice(0, dot)}-${attempt}${file.slice(dot)}`
    if (!fs.existsSync(candidate)) return candidate
  }
}
