import fs from 'node:fs'
import { wrapIo } from './errors.js'

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

  protected constructor(file: string, baseOffset: number, entrySize: number, maxIndexBytes: number, isNew: boolean) {
    this.file = file
    this.baseOffset = baseOffset
    this.entrySize = entrySize
    this.maxEntries = Math.max(2, Math.floor(maxIndexBytes / entrySize))
    this.loaded = isNew
    this.pending = Buffer.allocUnsafe(entrySize * 64)
  }

  get entries(): number {
    this.ensureLoaded()
    return this.count
  }

  /** Loads the entries on first use, as Kafka's lazy index does: opening a partition reads none. */
  ensureLoaded(): void {
    if (this.loaded) return
    const bytes = readWholeFile(this.file)
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
      const grown = Buffer.allocUnsafe(this.pending.length * 2)
      this.pending.copy(grown, 0, 0, position)
      this.pending = grown
    }
    return position
  }

  /** Writes staged entries to the file. Does not fsync: the segment decides when. */
  flush(): void {
    if (!this.loaded || this.written === this.count) return
    const bytes = (this.count - this.written) * this.entrySize
    const filePosition = this.written * this.entrySize
    wrapIo('write', this.file, () => {
      const fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644)
      try {
        let done = 0
        while (done < bytes) done += fs.writeSync(fd, this.pending, done, bytes - done, filePosition + done)
        fs.ftruncateSync(fd, filePosition + bytes)
      } finally {
        fs.closeSync(fd)
      }
    })
    this.written = this.count
  }

  /** fsyncs the file (after flush). */
  sync(): void {
    wrapIo('fsync', this.file, () => {
      const fd = fs.openSync(this.file, 'r+')
      try {
        fs.fdatasyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
    })
  }

  /** Drops entries from `slot` on, in memory and in the file. */
  protected truncateToSlot(slot: number): void {
    this.ensureLoaded()
    if (slot >= this.count) return
    this.count = slot
    if (this.written > slot) {
      this.written = slot
      wrapIo('truncate', this.file, () => fs.truncateSync(this.file, slot * this.entrySize))
    }
  }

  /** Empties the index (before a rebuild), in memory and on disk. */
  reset(): void {
    this.count = 0
    this.written = 0
    this.loaded = true
    wrapIo('truncate', this.file, () => fs.writeFileSync(this.file, Buffer.alloc(0)))
  }

  /** Writes an empty file if none exists, so every segment has both index files. */
  createIfMissing(): void {
    wrapIo('create', this.file, () => fs.closeSync(fs.openSync(this.file, 'a')))
  }
}

function readWholeFile(file: string): Buffer {
  return wrapIo('read', file, () => {
    try {
      return fs.readFileSync(file)
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
