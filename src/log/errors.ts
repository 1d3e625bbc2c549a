import { SeglogError } from '../errors.js'

/** A read or lookup asked for an offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends SeglogError {
  readonly offset: number
  readonly logStartOffset: number
  readonly logEndOffset: number

  constructor(offset: number, logStartOffset: number, logEndOffset: number, where: string) {
    super('OFFSET_OUT_OF_RANGE', `${where}: offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`)
    this.offset = offset
    this.logStartOffset = logStartOffset
    this.logEndOffset = logEndOffset
  }
}

/** An index file that fails its sanity check. Indexes are derived data: the caller rebuilds it. */
export class CorruptIndexError extends SeglogError {
  readonly file: string
  readonly position: number

  constructor(file: string, position: number, detail: string) {
    super('CORRUPT_INDEX', `${file} at byte ${position}: ${detail}`)
    this.file = file
    this.position = position
  }
}

/** The log or engine was closed, or stopped taking writes after an I/O failure. */
export class LogClosedError extends SeglogError {
  constructor(message: string, options?: ErrorOptions) {
    super('LOG_CLOSED', message, options)
  }
}

/** A file-system call failed; the original error (with its errno code) is the cause. */
export class IoError extends SeglogError {
  readonly file: string
  readonly errno: string | undefined

  constructor(operation: string, file: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code
    super('IO_FAILED', `${operation} ${file} failed: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause })
    this.file = file
    this.errno = errno
  }
}

/** Runs a file-system call and wraps its failure once, at the log boundary. */
export function wrapIo<T>(operation: string, file: string, call: () => T): T {
  try {
    return call()
  } catch (error) {
    if (error instanceof SeglogError) throw error
    throw new IoError(operation, file, error)
  }
}
