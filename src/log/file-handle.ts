import assert from 'node:assert'
import { IoError } from './errors.js'
import type { SegmentFile } from './file-system.js'
import type { CachedFile, OpenFileCache } from './open-file-cache.js'

/**
 * A segment file's descriptor, opened on first use and shared by the segment that owns it and the
 * reads and fsyncs in flight on it. The descriptor lives in an OpenFileCache, which may close it
 * while nobody uses it (the file opens again on the next use), so a process with thousands of
 * segments keeps only a bounded number open. A hold (`acquire`) keeps it open: the cache never
 * closes a held descriptor.
 *
 * `close()` only marks it closed: the descriptor itself is closed when the last holder releases
 * it. Without that, a read that started before its segment was deleted, truncated away or closed
 * would reach a closed descriptor (EBADF), or one the process has since reused for another file
 * (EISDIR for a directory, or another file's bytes). Unlinking a file whose descriptor is still
 * open is safe on POSIX: the bytes stay readable until the last descriptor closes.
 *
 * Single-threaded like everything in the log: `acquire`, `release` and `file` run on the event loop.
 */
export class FileHandle implements CachedFile {
  /** The file's path, naming it in errors. */
  readonly name: string
  private readonly cache: OpenFileCache
  private readonly openDescriptor: () => SegmentFile
  private descriptor: SegmentFile | null
  private holds = 0
  private isClosing = false
  private isDescriptorClosed = false
  private isPinnedOpen = false

  /** `descriptor` is already open (a file just created), or null to open it with `open` when first used. */
  constructor(name: string, cache: OpenFileCache, open: () => SegmentFile, descriptor: SegmentFile | null, pinned = false) {
    this.name = name
    this.cache = cache
    this.openDescriptor = open
    this.descriptor = descriptor
    this.isPinnedOpen = pinned
    if (descriptor !== null) cache.opened(this, pinned)
  }

  /**
   * The open descriptor, opening the file again if the cache closed it. Use it at once (or hold the
   * handle): opening another file may close this one if nobody holds it.
   */
  get file(): SegmentFile {
    if (this.descriptor !== null) {
      this.cache.touched(this)
      return this.descriptor
    }
    if (this.isDescriptorClosed) {
      // Closed for good: opening again would leak a descriptor nobody closes.
      throw new IoError('use', this.name, Object.assign(new Error('EBADF: the file was closed'), { code: 'EBADF' }))
    }
    const descriptor = this.openDescriptor()
    this.descriptor = descriptor
    this.cache.opened(this, this.isPinnedOpen)
    return descriptor
  }

  /** Whether the descriptor is open now (false before first use and after the cache closed it). */
  get isOpen(): boolean {
    return this.descriptor !== null
  }

  /** Whether `close()` was called (the descriptor may still be open for holders). */
  get isClosed(): boolean {
    return this.isClosing
  }

  /** A read or fsync holds the descriptor (CachedFile). */
  get isHeld(): boolean {
    return this.holds > 0
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
    else if (this.holds === 0 && this.descriptor !== null) this.cache.released()
  }

  /** Keeps the descriptor open whatever the cache's bound (the active segment's, which appends use). */
  pin(): void {
    if (this.isPinnedOpen) return
    this.isPinnedOpen = true
    if (this.descriptor !== null) this.cache.pinned(this)
  }

  /** Lets the cache close the descriptor again when it is idle (a segment that stopped being active). */
  unpin(): void {
    if (!this.isPinnedOpen) return
    this.isPinnedOpen = false
    if (this.descriptor !== null && !this.isDescriptorClosed) this.cache.unpinnedFile(this)
  }

  /** Closes the idle descriptor for the cache (CachedFile); the next use opens the file again. */
  evict(): void {
    if (this.descriptor === null || this.holds > 0 || this.isPinnedOpen) return
    const descriptor = this.descriptor
    this.descriptor = null
    this.cache.closed(this)
    try {
      descriptor.closeSync()
    } catch {
      // As in release: closing an idle regular file does not fail in practice, and the next use opens it anew.
    }
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
    const descriptor = this.descriptor
    if (descriptor === null) return
    this.descriptor = null
    this.cache.closed(this)
    try {
      descriptor.closeSync()
    } catch (error) {
      onError(error)
    }
  }
}
