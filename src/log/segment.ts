import { CorruptRecordError } from '../record/errors.js'
import { RecordBatch } from '../record/record-batch.js'
import { CorruptIndexError } from './errors.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'
import type { OffsetIndex } from './offset-index.js'
import { DELETED_SUFFIX, removeSegmentFiles, renameSegmentFiles, segmentPaths, type SegmentPaths } from './segment-files.js'
import { findBatch, HeaderWalk, type BatchLocation } from './segment-headers.js'
import { checkIndexes, loadTail, loadWholeTail, type CheckedLog } from './segment-index-check.js'
import { SegmentIndexer, type BatchMeta } from './segment-indexer.js'
import { SegmentLogFile, type SegmentRead } from './segment-log-file.js'
import { cutTail, moveToQuarantine, scanAndIndex, type RecoverResult } from './segment-recovery.js'
import type { TimeIndex } from './time-index.js'
import { MAX_RELATIVE_OFFSET } from '../format/index-entry.js'
import { rollMs } from './cleaner/compaction-config.js'

export type { BatchMeta } from './segment-indexer.js'
export type { BatchLocation } from './segment-headers.js'
export type { RecoverResult } from './segment-recovery.js'
export type { SegmentRead } from './segment-log-file.js'

/** The limits that decide when a segment rolls and how dense its indexes are. */
export interface SegmentConfig {
  segmentBytes: number
  segmentMs: number
  segmentIndexBytes: number
  indexIntervalBytes: number
}

const NO_BYTES = Buffer.alloc(0)

/**
 * One `.log` file with its `.index` and `.timeindex`. The segment owns the log file, the indexes
 * (through its SegmentIndexer) and how far the log is known good. It has a single writer (the
 * partition log serializes appends); readers may call the read methods concurrently with an
 * append and only ever see bytes below `size`, which moves after a write completes. A reader
 * holds the file (`acquire`/`release`) for the length of its read, so deleting or closing the
 * segment meanwhile never pulls it from under the read. Nothing is durable until `flush()`
 * resolves.
 */
export class Segment {
  readonly baseOffset: number
  readonly paths: SegmentPaths
  private readonly indexer: SegmentIndexer
  private readonly config: SegmentConfig
  private readonly log: SegmentLogFile
  /** `size` and `createdMs` once known: a segment opened closed stats its file on first use. */
  private knownSize: number | null
  private knownCreatedMs: number | null
  /** Renamed to `.deleted` or unlinked: its index files must not be read or written again. */
  private isDeleted = false
  /** Damage a rebuild met in this durable log: reads reaching it and time queries fail with it (see keepExtent). */
  private damage: CorruptRecordError | null = null
  /** Whether the indexes are known to agree with the log (always, for segments built here). */
  private indexesChecked: boolean
  /** Sealed, and its index files not fsynced since: the next flush fsyncs them too. */
  private hasUnsyncedIndexes = false

  private constructor(dir: string, baseOffset: number, config: SegmentConfig, log: SegmentLogFile, nowMs: number | null) {
    this.baseOffset = baseOffset
    this.paths = segmentPaths(dir, baseOffset)
    this.config = config
    this.log = log
    this.knownSize = nowMs === null ? null : 0
    this.indexer = new SegmentIndexer(this.paths, baseOffset, config, log.isNew, log.fileSystem)
    this.knownCreatedMs = nowMs
    this.indexesChecked = log.isNew
  }

  /** Creates a new, empty segment: its log file now, its index files on their first flush. The caller fsyncs the directory. */
  static create(dir: string, baseOffset: number, config: SegmentConfig, nowMs: number, fileSystem = nodeFileSystem): Segment {
    return new Segment(dir, baseOffset, config, SegmentLogFile.create(fileSystem, segmentPaths(dir, baseOffset).log), nowMs)
  }

  /** Opens an existing segment without reading (or stat'ing) it; the caller recovers it or trusts it (`loadTail`). */
  static open(dir: string, baseOffset: number, config: SegmentConfig, fileSystem: LogFileSystem = nodeFileSystem): Segment {
    return new Segment(dir, baseOffset, config, SegmentLogFile.open(fileSystem, segmentPaths(dir, baseOffset).log), null)
  }

  /** Bytes of whole batches; readers never look past it. */
  get size(): number {
    return (this.knownSize ??= this.log.stat().size)
  }

  set size(bytes: number) {
    this.knownSize = bytes
  }

  /** Creation time (the file's modification time for a segment opened from disk), for time-based rolls. */
  get createdMs(): number {
    return (this.knownCreatedMs ??= this.log.stat().mtimeMs)
  }

  get offsetIndex(): OffsetIndex {
    return this.indexer.offsetIndex
  }

  get timeIndex(): TimeIndex {
    return this.indexer.timeIndex
  }

  /** Offset after the last batch, or the base offset for an empty segment. */
  get nextOffset(): number {
    return this.indexer.nextOffset
  }

  /** The offset of the batch that set the largest timestamp (-1 when none). */
  get offsetOfMaxTimestampSoFar(): number {
    return this.indexer.offsetOfMaxTimestampSoFar
  }

  /** A failed write left bytes past `size` that could not be cut off. */
  get hasUncutTail(): boolean {
    return this.log.hasUncutTail
  }

  get isEmpty(): boolean {
    return this.size === 0
  }

  /** Deleted or closed: no new read may start on it (reads already holding it finish). */
  get isRetired(): boolean {
    return this.isDeleted || this.log.isClosed
  }

  /** Holds the file for one read; false once the segment is retired (read elsewhere then). */
  acquire(): boolean {
    return !this.isDeleted && this.log.acquire()
  }

  release(): void {
    this.log.release()
  }

  /**
   * Largest record timestamp in the segment, or -1 if it has none. Throws the CorruptRecordError
   * of a damaged segment (see `damage`): a guess would let a time query skip the damaged records.
   */
  get largestTimestamp(): number {
    this.ensureIndexes()
    if (this.damage !== null) throw this.damage
    return this.indexer.maxTimestampSoFar
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
    return this.damage === null ? this.indexer.maxTimestampSoFar : -1
  }

  /** Kafka's roll rules, checked before appending `incoming` (pure apart from reading state). */
  shouldRoll(incomingBytes: number, incomingMaxTimestamp: number, incomingLastOffset: number, nowMs: number): boolean {
    // Even an empty segment cannot take offsets its int32 relative offsets cannot express.
    if (incomingLastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) return true
    if (this.size === 0) return false
    if (this.size + incomingBytes > this.config.segmentBytes) return true
    const first = this.indexer.firstBatchTimestamp
    const waited = first !== null && first >= 0 ? incomingMaxTimestamp - first : nowMs - this.createdMs
    if (waited > rollMs(this.config)) return true
    this.ensureIndexes()
    return this.indexer.isFull()
  }

  /**
   * Appends whole batches at the end of the log in one writev and updates the indexes. The batches'
   * offsets must follow `nextOffset`. On a write failure the file is cut back to its previous size
   * so no partial batch stays behind, and the error is rethrown.
   */
  async append(buffers: Buffer[], metas: readonly BatchMeta[]): Promise<void> {
    this.ensureIndexes()
    const startSize = this.size
    await this.log.writeAt(buffers, startSize)
    let position = startSize
    for (const meta of metas) {
      this.indexer.indexBatch(meta, position)
      position += meta.size
    }
    this.size = position
  }

  /**
   * Revalidates every batch and rebuilds both indexes (segment-recovery.ts). The segment then ends
   * at the first bad byte, but the file keeps its bytes until the caller decides with `cutTail`.
   */
  recover(): RecoverResult {
    const result = scanAndIndex(this.log.file, this.paths.log, this.indexer)
    this.size = result.validBytes
    this.log.verifiedSize = result.validBytes
    this.indexesChecked = true
    return result
  }

  /** Cuts the file at `size` after `recover` found a bad tail; returns the quarantine file, if any. */
  cutTail(options: { quarantine: boolean }): string | null {
    return cutTail(this.log.fileSystem, this.log.file, this.paths.log, this.size, options.quarantine)
  }

  /** Moves the whole log into quarantine (a segment after a cut one) and drops its indexes. */
  quarantineWhole(): string {
    this.close()
    return moveToQuarantine(this.log.fileSystem, this.paths)
  }

  /** A closed segment's end: the next segment's base offset (its batches are read on demand). */
  setClosedEnd(nextOffset: number): void {
    this.indexer.nextOffset = nextOffset
  }

  /**
   * After a clean shutdown: trusts the log but checks the indexes (segment-index-check.ts; a small log
   * is checked whole instead, its indexes on first use). Throws CorruptIndexError for a bad index
   * (the caller rebuilds) and CorruptRecordError for a torn tail.
   */
  loadTail(): void {
    if (loadWholeTail(this.checkedLog(), this.indexer)) return
    this.indexesChecked = true
    loadTail(this.checkedLog(), this.indexer)
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
      checkIndexes(this.checkedLog(), this.indexer)
    } catch (error) {
      if (!(error instanceof CorruptIndexError)) throw error
      const { size, nextOffset } = this
      const result = this.recover()
      if (result.error !== null) this.keepExtent(size, nextOffset, result.error)
    }
    this.indexesChecked = true
  }

  private checkedLog(): CheckedLog {
    return { file: this.log.file, name: this.paths.log, size: this.size }
  }

  /**
   * After a rebuild met damage in a segment in use: the segment keeps its size and next offset
   * (recovery would end it at the damage, and every later read would then step over the damaged
   * records into the next segment); the indexes cover the whole batches before the damage, and
   * the damage is thrown now and met again by every read that reaches it.
   */
  private keepExtent(size: number, nextOffset: number, damage: CorruptRecordError): never {
    this.size = size
    this.indexer.nextOffset = nextOffset
    this.damage = damage
    throw damage
  }

  /** Rebuilds both indexes by scanning the log, which must be wholly valid. */
  rebuildIndexes(): void {
    const result = this.recover()
    if (result.error !== null) throw result.error
  }

  /**
   * The first batch whose last offset is >= `offset`, walking headers from the offset index's
   * floor entry (segment-headers.ts `findBatch`: damage on the way is thrown), or null if no
   * batch of this segment reaches `offset`. The caller holds the segment or runs in the log's queue.
   */
  findBatch(offset: number): BatchLocation | null {
    this.ensureIndexes()
    const position = this.indexesChecked ? this.offsetIndex.lookup(offset).position : 0
    return findBatch(this.log.file, this.paths.log, position, this.size, offset)
  }

  /**
   * Whole batches from the one holding `offset`, as Kafka's LogSegment.read: that batch even if it
   * is larger than `maxBytes`, then more while within `maxBytes`, none reaching `maxOffset`. Null
   * when no batch of this segment reaches `offset`; empty when the first one reaches `maxOffset`.
   * A batch past the part read before is CRC-checked once. The caller holds the segment.
   */
  async read(offset: number, maxBytes: number, maxOffset: number, buffer?: Buffer): Promise<SegmentRead | null> {
    const location = this.findBatch(offset)
    if (location === null) return null
    if (location.lastOffset >= maxOffset) return { bytes: NO_BYTES, firstOffset: offset, nextOffset: offset }
    return this.log.readFrom(location, this.size, maxBytes, maxOffset, buffer)
  }

  /** A walk over batch headers from `position` (a batch start) to the segment's end. The caller holds the segment. */
  walkHeaders(position: number): HeaderWalk {
    return new HeaderWalk(this.log.file, this.paths.log, position, this.size)
  }

  /** The batch at `location`, CRC-checked, in a buffer shared by such reads (`SegmentLogFile.readBatchSync`). */
  readBatchSync(location: BatchLocation): RecordBatch {
    return new RecordBatch(this.log.readBatchSync(location))
  }

  /**
   * Cuts the segment at `location` (found by `findBatch`): that batch and everything after it go,
   * and the cut is fsynced. Synchronous, so no reader or fsync round runs in the middle of it.
   * If the bytes before the cut are damaged, the segment keeps the cut as its end (nothing before
   * it is dropped silently) and the damage is thrown.
   */
  cutAt(location: BatchLocation): void {
    this.keepOpen() // the log's last segment from now on: the active one
    this.log.truncateSync(location.position)
    // It takes appends again: active, so its fsyncs skip the indexes.
    this.hasUnsyncedIndexes = false
    // Rebuilding from the log is simplest and exact: counters, max timestamp and both indexes.
    const result = this.recover()
    if (result.error !== null) this.keepExtent(location.position, location.baseOffset, result.error)
  }

  /**
   * Writes staged index entries and fsyncs the log; the index files too, once, after `seal` (an
   * active segment's indexes are rebuilt if lost, so its fsyncs skip them). A retired segment is
   * skipped: its data is being removed, and its index files are not its own.
   */
  async flush(): Promise<void> {
    if (!this.acquire()) return
    try {
      const syncsIndexes = this.hasUnsyncedIndexes
      if (!syncsIndexes) this.indexer.flush()
      await this.log.datasync()
      if (syncsIndexes && this.hasUnsyncedIndexes && !this.isDeleted) {
        this.hasUnsyncedIndexes = false
        // Independent files, written and fsynced side by side in the thread pool.
        await Promise.all([this.offsetIndex.flushAndSync(), this.timeIndex.flushAndSync()])
      }
    } finally {
      this.release()
    }
  }

  /** Makes the segment inactive: the final time-index entry carries its largest timestamp (for retention); the next `flush` syncs it. */
  seal(): void {
    if (this.indexesChecked) this.indexer.appendClosingEntry()
    this.hasUnsyncedIndexes = this.indexesChecked // else untouched since the last close wrote and fsynced them
    // No longer active: its descriptor may be closed while idle, and opened again by a read.
    this.log.unpin()
  }

  /** Keeps the log file open whatever the open-file bound (the active segment, after open). */
  keepOpen(): void {
    this.log.pin()
  }

  /** Whether the log file's descriptor is open now (the open-file cache may close it while idle). */
  get isFileOpen(): boolean {
    return this.log.isOpen
  }

  /** Writes staged index entries and closes the log file: at once, or when the last read holding it ends. */
  close(): void {
    if (this.log.isClosed) return
    if (!this.isDeleted) this.indexer.flush()
    this.log.close(this.paths.log)
  }

  /**
   * First step of deleting a segment: its files get the `.deleted` suffix (the caller fsyncs the
   * directory), so a crash before `deleteFiles` leaves nothing ambiguous: open removes them.
   * The file stays open so in-flight reads finish.
   */
  markDeleted(): void {
    this.knownSize ??= this.log.statQuietly()?.size ?? 0 // while the path still names the file
    this.isDeleted = true
    renameSegmentFiles(this.log.fileSystem, this.paths, DELETED_SUFFIX)
  }

  /** Last modification time of the log file (retention's fallback for segments without timestamps). */
  modifiedMs(): number {
    return this.log.modifiedMs()
  }

  /** Closes the file without writing anything (after an I/O failure). */
  closeQuietly(): void {
    this.log.closeQuietly()
  }

  /** fsyncs the log synchronously (after recovery, before its data counts as durable). */
  syncSync(): void {
    this.log.syncSync()
  }

  /** Closes the segment and removes its three files (reads holding it still finish). */
  deleteFiles(): void {
    this.knownSize ??= this.log.statQuietly()?.size ?? 0 // while the path still names the file
    this.isDeleted = true
    this.close()
    removeSegmentFiles(this.log.fileSystem, this.paths)
  }
}
