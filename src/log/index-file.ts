import { IoError, wrapIo } from './errors.js'
import { writeAllSync, writevAt } from './file-io.js'
import type { LogFileSystem, SegmentFile } from './file-system.js'

/**
 * The file behind an index: fixed-size big-endian entries, no header, no checksum. Entries live in
 * memory (in the subclass's typed-array columns) and reach the file in batches: appended entries
 * are staged in `pending` and written by `flush()`, which the segment calls before every fsync, on
 * roll and on close. That keeps index writes off the append path. A crash can lose staged entries;
 * that is harmless, because every segment past the recovery point has its indexes rebuilt on an
 * unclean open, and the recovery point only moves after a flush.
 *
 * Unlike Kafka we never preallocate index files, so there is no zero-filled tail to trim or to
 * mistake for entries.
 */
/** Staging space of an index that has staged nothing yet: allocated on the first entry. */
const NO_PENDING = Buffer.alloc(0)

export abstract class IndexFile {
  readonly file: string
  readonly baseOffset: number
  readonly entrySize: number
  readonly maxEntries: number
  /** Entries held in memory (also the count once loaded). */
  protected count = 0
  /** Entries already in the file; entries [written, count) are staged in `pending`. */
  protected written = 0
  protected loaded: boolean
  /** Encoded entries not yet in the file. */
  protected pending: Buffer
  /**
   * The file is missing (a new index: a roll creates one file, not three) or its bytes are not the
   * index's (after `reset`): the next flush writes it whole, even with no entries.
   */
  private isFileStale: boolean
  private readonly fileSystem: LogFileSystem

  protected constructor(
    file: string,
    baseOffset: number,
    entrySize: number,
    maxIndexBytes: number,
    isNew: boolean,
    fileSystem: LogFileSystem,
  ) {
    this.file = file
    this.fileSystem = fileSystem
    this.baseOffset = baseOffset
    this.entrySize = entrySize
    this.maxEntries = Math.max(2, Math.floor(maxIndexBytes / entrySize))
    this.loaded = isNew
    this.pending = NO_PENDING
    this.isFileStale = isNew
  }

  get entries(): number {
    this.ensureLoaded()
    return this.count
  }

  /** Loads the entries on first use, as Kafka's lazy index does: opening a partition reads none. */
  ensureLoaded(): void {
    if (this.loaded) return
    const bytes = readWholeFile(this.fileSystem, this.file)
    this.loadEntries(bytes)
    this.written = this.count
    this.loaded = true
  }

  /** Replaces the columns with the entries in `bytes`, validating them (throws CorruptIndexError). */
  protected abstract loadEntries(bytes: Buffer): void

  /**
   * Makes room in `pending` for the entry just added to the columns (slot count - 1) and returns
   * where to encode it.
   */
  protected stagedPosition(): number {
    const position = (this.count - 1 - this.written) * this.entrySize
    if (position + this.entrySize > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.entrySize * 64, this.pending.length * 2))
      this.pending.copy(grown, 0, 0, position)
      this.pending = grown
    }
    return position
  }

  /** Writes staged entries to the file. Does not fsync: the segment decides when. */
  flush(): void {
    if (!this.loaded || (this.written === this.count && !this.isFileStale)) return
    const bytes = (this.count - this.written) * this.entrySize
    const filePosition = this.written * this.entrySize
    const handle = this.open('create-or-update', 'write')
    try {
      writeAllSync(handle, this.file, this.pending, bytes, filePosition)
      wrapIo('truncate', this.file, () => handle.truncateSync(filePosition + bytes))
    } finally {
      handle.closeSync()
    }
    this.written = this.count
    this.isFileStale = false
  }

  /**
   * `flush()` then `datasync()` with one descriptor, opened through the thread pool where the file
   * system can: a sealed segment's indexes in a background round, whose file creation and fsync
   * then keep off the event loop (creating a file waits for the journal while fsyncs run). Nothing
   * appends to a sealed index meanwhile, and rounds never overlap a truncation or a retention pass.
   */
  async flushAndSync(): Promise<void> {
    const open = this.fileSystem.open
    if (open === undefined || !this.loaded) {
      this.flush()
      return this.datasync()
    }
    const { written, count, entrySize } = this
    const isWhole = this.isFileStale && written === 0
    let handle: SegmentFile
    try {
      handle = await open.call(this.fileSystem, this.file, isWhole ? 'replace' : 'create-or-update')
    } catch (error) {
      throw new IoError('open', this.file, error)
    }
    try {
      if (count > written || this.isFileStale) {
        const bytes = (count - written) * entrySize
        if (bytes > 0) await writevAt(handle, this.file, [this.pending.subarray(0, bytes)], written * entrySize)
        if (!isWhole) wrapIo('truncate', this.file, () => handle.truncateSync(count * entrySize))
        this.written = count
        this.isFileStale = false
      }
      await handle.datasync()
    } catch (error) {
      throw error instanceof IoError ? error : new IoError('fsync', this.file, error)
    } finally {
      handle.closeSync()
    }
  }

  /** fsyncs the file synchronously (after flush). */
  sync(): void {
    const handle = this.open('update', 'fsync')
    try {
      wrapIo('fsync', this.file, () => handle.datasyncSync())
    } finally {
      handle.closeSync()
    }
  }

  /** fsyncs the file through the thread pool (after flush), for fsyncs off the append path. */
  async datasync(): Promise<void> {
    const handle = this.open('update', 'fsync')
    try {
      await handle.datasync()
    } catch (error) {
      throw new IoError('fsync', this.file, error)
    } finally {
      handle.closeSync()
    }
  }

  private open(mode: 'update' | 'create-or-update' | 'replace', operation: string): ReturnType<LogFileSystem['openSync']> {
    return wrapIo(operation, this.file, () => this.fileSystem.openSync(this.file, mode))
  }

  /** Drops entries from `slot` on, in memory and in the file. */
  protected truncateToSlot(slot: number): void {
    this.ensureLoaded()
    if (slot >= this.count) return
    this.count = slot
    if (this.written > slot) {
      this.written = slot
      const handle = this.open('update', 'truncate')
      try {
        wrapIo('truncate', this.file, () => handle.truncateSync(slot * this.entrySize))
      } finally {
        handle.closeSync()
      }
    }
  }

  /** Empties the index (before a rebuild); the file follows at the next flush. */
  reset(): void {
    this.count = 0
    this.written = 0
    this.loaded = true
    this.isFileStale = true
  }

  /** Writes an empty file if none exists, so every segment has both index files. */
  createIfMissing(): void {
    this.open('create-or-update', 'create').closeSync()
  }
}

function readWholeFile(fileSystem: LogFileSystem, file: string): Buffer {
  return wrapIo('read', file, () => {
    try {
      return fileSystem.readFileSync(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0)
      throw error
    }
  })
}

/** Doubles a typed array's capacity (bounded by `max`) keeping the first `count` cells. */
export function growColumn<T extends Int32Array | Float64Array>(column: T, count: number, max: number): T {
  const grown = new (column.constructor as new (length: number) => T)(Math.min(max, Math.max(16, column.length * 2)))
  grown.set(column.subarray(0, count))
  return grown
}
