import assert from 'node:assert'
import { IoError } from './errors.js'
import type { SegmentFile } from './file-system.js'

/**
 * A file descriptor shared by the segment that owns it and the reads and fsyncs in flight on it.
 * `close()` only marks it closed: the descriptor itself is closed when the last holder releases
 * it. Without that, a read that started before its segment was deleted, truncated away or closed
 * would reach a closed descriptor (EBADF), or one the process has since reused for another file
 * (EISDIR for a directory, or another file's bytes). Unlinking a file whose descriptor is still
 * open is safe on POSIX: the bytes stay readable until the last descriptor closes.
 *
 * Single-threaded like everything in the log: `acquire` and `release` run on the event loop.
 */
export class FileHandle {
  readonly file: SegmentFile
  private holds = 0
  private isClosing = false
  private isDescriptorClosed = false

  constructor(file: SegmentFile) {
    this.file = file
  }

  /** Whether `close()` was called (the descriptor may still be open for holders). */
  get isClosed(): boolean {
    return this.isClosing
  }

  /** Takes a hold for one read or fsync; false once `close()` was called (take nothing then). */
  acquire(): boolean {
    if (this.isClosing) return false
    this.holds++
    return true
  }

  /** Ends a hold; the last one after `close()` closes the descriptor. */
  release(): void {
    assert(this.holds > 0, 'a file handle must be released once per acquire')
    this.holds--
    // A close that fails here has nobody to report to: the read it held for already ended, and a
    // descriptor of a regular file opened for reading and writing does not fail to close in practice.
    if (this.holds === 0 && this.isClosing) this.closeDescriptor(() => undefined)
  }

  /** Marks the handle closed and closes the descriptor unless a hold is taken; `file` names it in errors. */
  close(file: string): void {
    if (this.isClosing) return
    this.isClosing = true
    if (this.holds === 0) {
      this.closeDescriptor((error) => {
        throw new IoError('close', file, error)
      })
    }
  }

  /** As `close`, never throwing (after an I/O failure, when there is nothing left to report). */
  closeQuietly(): void {
    if (this.isClosing) return
    this.isClosing = true
    if (this.holds === 0) this.closeDescriptor(() => undefined)
  }

  private closeDescriptor(onError: (error: unknown) => void): void {
    // Closing twice could close a descriptor number another file has taken since.
    if (this.isDescriptorClosed) return
    this.isDescriptorClosed = true
    try {
      this.file.closeSync()
    } catch (error) {
      onError(error)
    }
  }
}
