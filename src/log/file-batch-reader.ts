import { batchView, readBatchPrefix } from '../record/batch-scanner.js'
import { InvalidArgumentError } from '../errors.js'
import { CorruptRecordError } from '../record/errors.js'
import { BATCH_LENGTH_OFFSET, BATCH_PREFIX_SIZE, type RecordBatch } from '../record/record-batch.js'
import { IoError, wrapIo } from './errors.js'
import { nodeFileSystem, type LogFileSystem, type SegmentFile } from './file-system.js'

/** Bytes read per `readSync`: large enough that a scan costs one syscall per thousand small batches. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024
/**
 * Largest batch the reader will assemble. Kafka's own limit (message.max.bytes) defaults to 1 MiB
 * and is rarely set above a few tens of MiB; a declared size beyond this cap is far more likely a
 * damaged length field than a real batch, and trusting it would allocate that much.
 */
export const DEFAULT_MAX_BATCH_BYTES = 128 * 1024 * 1024

export interface FileBatchReaderOptions {
  /** File position of the first batch. Default 0. */
  position?: number
  /** File position to stop at, exclusive. Default: the file size when the reader is constructed. */
  end?: number
  /** Initial size of the read buffer, and the size of each read. Default 1 MiB. */
  chunkBytes?: number
  /** A batch declaring more bytes than this is corruption ('bad-length'). Default 128 MiB. */
  maxBatchBytes?: number
  /** Where `openSync` opens the file. Default: the real file system. */
  fileSystem?: LogFileSystem
}

/**
 * Reads the record batches of one file front to back with synchronous reads: recovery, dump and
 * verify use it to walk whole segments. It owns one read buffer, reused for the whole scan: each
 * `readSync` fills as much of it as the file allows, so a scan makes one system call per chunk,
 * not per batch. A batch larger than the buffer grows it (up to `maxBatchBytes`) and the larger
 * buffer is kept for the rest of the scan.
 *
 * `next()` returns a RecordBatch that is a VIEW into that buffer: it is valid only until the next
 * call to `next()`. Copy the bytes (`Buffer.from(batch.buffer)`) to keep them longer.
 *
 * The reader checks framing only: a length below the 61-byte header, a magic other than 2, an
 * unsafe baseOffset, or a length above `maxBatchBytes` throw a CorruptRecordError carrying the file
 * name and the absolute file position. It does not verify CRCs; callers decide whether to
 * (`batch.ensureValid()` or `batch.isValid()`). A batch that runs past `end` is not an error: `next()`
 * returns null and `trailingBytes` says how many bytes were left, which is what a torn tail after a
 * crash, or a deliberate cut at `end`, looks like. It never reads at or past `end`.
 *
 * Single-threaded by construction (synchronous reads); the caller owns the file unless the reader
 * came from `FileBatchReader.openSync`, in which case `close()` closes it.
 */
export class FileBatchReader {
  readonly file: string
  /** File position the reader stops at (exclusive). */
  readonly end: number
  /** File position of the batch `next()` returned last; -1 before the first. */
  batchPosition = -1
  /** File position of the next batch, i.e. after the one returned last. */
  position: number
  /** Bytes after the last whole batch, known once `next()` has returned null. */
  trailingBytes = 0

  private readonly handle: SegmentFile
  private readonly ownsFile: boolean
  private isClosed = false
  /** `end`, or less if the file turned out shorter than `end` (it shrank after construction). */
  private limit: number
  private readonly maxBatchBytes: number
  private buffer: Buffer
  /** File position of `buffer[0]`. */
  private bufferFilePosition: number
  /** Bytes of `buffer` holding file data. */
  private bufferLength = 0

  /** `ownsFile` is for `openSync`: the reader closes `handle` in `close()`. */
  constructor(handle: SegmentFile, file: string, options: FileBatchReaderOptions = {}, ownsFile = false) {
    this.handle = handle
    this.file = file
    this.ownsFile = ownsFile
    this.position = options.position ?? 0
    this.end = options.end ?? wrapIo('stat', file, () => handle.statSync().size)
    this.limit = this.end
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
    if (!(chunkBytes >= BATCH_PREFIX_SIZE))
      throw new InvalidArgumentError(`chunkBytes must be at least ${BATCH_PREFIX_SIZE}, got ${chunkBytes}`)
    if (!(this.maxBatchBytes >= BATCH_PREFIX_SIZE))
      throw new InvalidArgumentError(`maxBatchBytes must be at least ${BATCH_PREFIX_SIZE}, got ${this.maxBatchBytes}`)
    if (!(this.position >= 0 && this.position <= this.end))
      throw new InvalidArgumentError(`position ${this.position} is outside [0, ${this.end}]`)
    // Never allocate more than the scan can use: a small file gets a small buffer.
    this.buffer = Buffer.allocUnsafe(Math.max(BATCH_PREFIX_SIZE, Math.min(chunkBytes, this.end - this.position)))
    this.bufferFilePosition = this.position
  }

  /**
   * Opens `file` read-only for a scan; `close()` closes it. Fails with an IoError for a missing
   * file and for anything that is not a regular file (a directory would read as EISDIR later).
   */
  static openSync(file: string, options: FileBatchReaderOptions = {}): FileBatchReader {
    const handle = wrapIo('open', file, () => (options.fileSystem ?? nodeFileSystem).openSync(file, 'read'))
    try {
      const stats = wrapIo('stat', file, () => handle.statSync())
      if (!stats.isFile()) {
        const cause = stats.isDirectory()
          ? Object.assign(new Error('EISDIR: is a directory'), { code: 'EISDIR' })
          : Object.assign(new Error('EINVAL: not a regular file'), { code: 'EINVAL' })
        throw new IoError('open', file, cause)
      }
      const end = Math.min(options.end ?? stats.size, stats.size)
      return new FileBatchReader(handle, file, { ...options, end }, true)
    } catch (error) {
      handle.closeSync()
      throw error
    }
  }

  /**
   * The next whole batch, or null once fewer bytes than a whole batch remain before `end`.
   * The batch is a view into the reader's buffer, valid until the next call.
   */
  next(): RecordBatch | null {
    const start = this.nextStart()
    return start < 0 ? null : batchView(this.buffer.subarray(start, start + this.position - this.batchPosition))
  }

  /**
   * `next()` without the view: moves to the next whole batch and returns where it starts in
   * `chunk` (its size is `position - batchPosition`), or -1 once fewer bytes than a whole batch
   * remain. For scans that read the header by position (recovery) and make no object per batch.
   * The same framing checks as `next()`; the position is valid until the next call.
   */
  nextStart(): number {
    const position = this.position
    const remaining = this.limit - position
    if (remaining < BATCH_PREFIX_SIZE || !this.fill(BATCH_PREFIX_SIZE)) return this.stop()
    const start = position - this.bufferFilePosition
    let size: number
    try {
      // Files may hold legacy entries (magic 0 and 1) from an upgraded Kafka broker: read them too.
      size = readBatchPrefix(this.buffer, start, true).size
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error
      // The prefix's only int64 is the baseOffset at the batch start: anchor it there directly.
      if (error.reason === 'unsafe-int64') throw new CorruptRecordError(error.reason, position, error.detail, this.file)
      throw error.inFile(this.file, this.bufferFilePosition)
    }
    if (size > this.maxBatchBytes) {
      throw new CorruptRecordError(
        'bad-length',
        position + BATCH_LENGTH_OFFSET,
        `batch size ${size} is above the ${this.maxBatchBytes}-byte limit`,
        this.file,
      )
    }
    if (size > remaining || !this.fill(size)) return this.stop()
    this.batchPosition = position
    this.position = position + size
    return position - this.bufferFilePosition
  }

  /** The reader's buffer, which `nextStart()` positions point into; replaced when a batch outgrows it. */
  get chunk(): Buffer {
    return this.buffer
  }

  /** Closes the file if the reader opened it; a reader over a caller's file leaves it open. */
  close(): void {
    if (!this.ownsFile || this.isClosed) return
    // Closing twice could close a descriptor number the process has since reused for another file.
    this.isClosed = true
    wrapIo('close', this.file, () => this.handle.closeSync())
  }

  private stop(): -1 {
    this.trailingBytes = this.limit - this.position
    return -1
  }

  /**
   * Makes the buffer hold `byteCount` bytes from `this.position` on, reading as much as fits (up to
   * `end`) in as few reads as the kernel allows. Returns false if the file ended early (it shrank
   * after `end` was taken).
   */
  private fill(byteCount: number): boolean {
    const start = this.position - this.bufferFilePosition
    const available = this.bufferLength - start
    if (available >= byteCount) return true
    if (byteCount > this.buffer.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(Math.max(byteCount, this.buffer.length * 2), this.maxBatchBytes, this.limit - this.position),
      )
      this.buffer.copy(grown, 0, start, this.bufferLength)
      this.buffer = grown
    } else if (available > 0) {
      this.buffer.copyWithin(0, start, this.bufferLength)
    }
    this.bufferFilePosition = this.position
    this.bufferLength = available
    const wanted = Math.min(this.buffer.length, this.limit - this.bufferFilePosition)
    while (this.bufferLength < wanted) {
      const readPosition = this.bufferFilePosition + this.bufferLength
      const bytesRead = wrapIo('read', this.file, () =>
        this.handle.readSync(this.buffer, this.bufferLength, wanted - this.bufferLength, readPosition),
      )
      if (bytesRead === 0) {
        this.limit = readPosition
        break
      }
      this.bufferLength += bytesRead
    }
    return this.bufferLength >= byteCount
  }
}
