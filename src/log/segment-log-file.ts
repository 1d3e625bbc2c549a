import { cutWholeBatches } from './batch-bytes.js'
import { IoError, wrapIo } from './errors.js'
import { FileHandle } from './file-handle.js'
import { fdatasync, openFile, readAtSync, readBytes, readInto, writevAt } from './file-io.js'
import type { FileStats, LogFileSystem } from './file-system.js'
import { openFileCacheFor } from './open-file-cache.js'
import type { BatchLocation } from './segment-headers.js'

/**
 * One buffer for every synchronous single-batch read (time lookups): what it holds is only read
 * before the next such read starts, and nothing read into it is handed out.
 */
let scratch = Buffer.allocUnsafe(128 * 1024)

/** Whole batches read from a segment (see `Segment.read`). */
export interface SegmentRead {
  bytes: Buffer
  firstOffset: number
  nextOffset: number
}

/**
 * A segment's `.log` file: its shared descriptor (FileHandle, opened again on demand after the
 * file system's OpenFileCache closed it) and the I/O on it. A write never leaves part of a batch
 * behind where it can be cut off, and a read hands out no batch whose CRC was not checked since
 * open. The segment decides where its whole batches end (`size`).
 */
export class SegmentLogFile extends FileHandle {
  readonly fileSystem: LogFileSystem
  /** Created here rather than opened (a new segment's indexes start empty and agree with it). */
  readonly isNew: boolean
  /** Bytes below which every batch's CRC has been checked since open. */
  verifiedSize = 0
  /**
   * Where the bytes this process appended begin when they do not continue `verifiedSize` (an
   * append after a clean open, before anything older was read): they were checked before they
   * were written, so reads skip their CRC, while the unchecked bytes before them still get one.
   */
  writtenFrom = Infinity
  /** A failed write left bytes past the segment's end that could not be cut off. */
  hasUncutTail = false

  private constructor(fileSystem: LogFileSystem, name: string, create: boolean) {
    // A new file is the active segment's: open and pinned. An existing one opens on first use and
    // may be closed while idle; either opens again read-write, since a truncation may cut any segment.
    super(
      name,
      openFileCacheFor(fileSystem),
      () => openFile(fileSystem, name, 'update'),
      create ? openFile(fileSystem, name, 'create-new', 'create') : null,
      create,
    )
    this.fileSystem = fileSystem
    this.isNew = create
  }

  /** Creates a new, empty log file. */
  static create(fileSystem: LogFileSystem, name: string): SegmentLogFile {
    return new SegmentLogFile(fileSystem, name, true)
  }

  /**
   * An existing log file, neither opened nor stat'ed: a clean open of thousands of segments then
   * touches none but the active one (a closed segment's size is read on first use, `stat`).
   */
  static open(fileSystem: LogFileSystem, name: string): SegmentLogFile {
    return new SegmentLogFile(fileSystem, name, false)
  }

  /**
   * Size and modification time: of the open descriptor if there is one (the path may have been
   * renamed or removed under a reader), else by path without opening the file when the file
   * system can.
   */
  stat(): FileStats {
    const { fileSystem } = this
    const byPath = !this.isOpen && fileSystem.statSync !== undefined
    return wrapIo('stat', this.name, () => (byPath ? fileSystem.statSync!(this.name) : this.file.statSync()))
  }

  /** `stat()`, or null when it fails (a segment being removed reads its size while it can). */
  statQuietly(): FileStats | null {
    try {
      return this.stat()
    } catch {
      return null
    }
  }

  /**
   * Writes whole batches at `position` (the segment's end) in one writev. On a failure the file is
   * cut back to `position` so no partial batch stays behind, and the error is rethrown.
   */
  async writeAt(buffers: Buffer[], position: number): Promise<void> {
    if (this.hasUncutTail) throw new IoError('append to', this.name, new Error('an earlier failed write could not be cut back'))
    // Only the active segment takes writes (also one a truncation made active): it stays open.
    this.pin()
    try {
      await writevAt(this.file, this.name, buffers, position)
      this.noteWritten(position, buffers)
    } catch (error) {
      try {
        this.file.truncateSync(position)
      } catch {
        // Part of a batch may be left in the file: the partition must stop taking writes, and
        // reopening recovers the tail.
        this.hasUncutTail = true
      }
      throw error
    }
  }

  private noteWritten(position: number, buffers: readonly Buffer[]): void {
    let end = position
    for (const buffer of buffers) end += buffer.length
    if (this.verifiedSize >= position) this.verifiedSize = Math.max(this.verifiedSize, end)
    else this.writtenFrom = Math.min(this.writtenFrom, position)
  }

  /**
   * Whole batches from the one at `location`, below `size`: that batch even if it is larger than
   * `maxBytes`, then more while within `maxBytes`, none reaching `maxOffset`. A batch past the part
   * read before is CRC-checked once. Into `buffer` when the first batch fits (as much as fits).
   */
  async readFrom(location: BatchLocation, size: number, maxBytes: number, maxOffset: number, buffer?: Buffer): Promise<SegmentRead> {
    const end = Math.min(size, location.position + Math.max(maxBytes, location.size))
    const chunk =
      buffer !== undefined && buffer.length >= location.size
        ? await readInto(this.file, this.name, buffer, location.position, Math.min(end - location.position, buffer.length))
        : await readBytes(this.file, this.name, location.position, end - location.position)
    const verifiedSize = this.verifiedSize
    const cut = cutWholeBatches(
      chunk,
      { file: this.name, position: location.position, baseOffset: location.baseOffset, verifiedSize, writtenFrom: this.writtenFrom },
      maxBytes,
      maxOffset,
    )
    // An append or a rebuild during the read knows better.
    if (this.verifiedSize === verifiedSize) this.verifiedSize = cut.verifiedSize
    return { bytes: cut.bytes, firstOffset: cut.firstOffset, nextOffset: cut.nextOffset }
  }

  /**
   * The one batch at `location`, read synchronously into a buffer every such read shares and
   * CRC-checked as `readFrom` checks: valid only until the next call, so the caller uses it and
   * keeps nothing of it (a time lookup keeps an offset and a timestamp). It saves the fresh
   * allocation per read (a 100 KB batch each) that a read handed to the caller needs.
   */
  readBatchSync(location: BatchLocation): Buffer {
    if (scratch.length < location.size) scratch = Buffer.allocUnsafe(Math.max(location.size, scratch.length * 2))
    const got = readAtSync(this.file, this.name, scratch, 0, location.size, location.position)
    const verifiedSize = this.verifiedSize
    const cut = cutWholeBatches(
      scratch.subarray(0, got),
      { file: this.name, position: location.position, baseOffset: location.baseOffset, verifiedSize, writtenFrom: this.writtenFrom },
      1,
      Infinity,
    )
    if (this.verifiedSize === verifiedSize) this.verifiedSize = cut.verifiedSize
    return cut.bytes
  }

  /** Cuts the file at `position` and fsyncs the cut. */
  truncateSync(position: number): void {
    wrapIo('truncate', this.name, () => this.file.truncateSync(position))
    this.syncSync()
  }

  datasync(): Promise<void> {
    return fdatasync(this.file, this.name)
  }

  /** fsyncs the file synchronously. */
  syncSync(): void {
    wrapIo('fsync', this.name, () => this.file.datasyncSync())
  }

  /** Last modification time of the file. */
  modifiedMs(): number {
    return wrapIo('stat', this.name, () => this.file.statSync().mtimeMs)
  }
}
