import fs from 'node:fs'
import path from 'node:path'
import { flockSync } from 'fs-ext'
import { SeglogError } from '../errors.js'
import { IoError } from '../log/errors.js'

export const LOCK_FILE = '.lock'

/** Another engine (in this or another process) owns the data directory. */
export class LogLockedError extends SeglogError {
  readonly dir: string
  constructor(dir: string) {
    super('LOG_LOCKED', `${dir} is locked by another seglog engine (flock on ${LOCK_FILE}); close it first`)
    this.dir = dir
  }
}

/**
 * An exclusive, non-blocking flock on DATA/.lock. The kernel drops it when the owning process
 * dies, however it dies, so a crash never leaves a stale lock behind.
 */
export class DirLock {
  private fd: number | null

  private constructor(fd: number) {
    this.fd = fd
  }

  static acquire(dir: string): DirLock {
    const file = path.join(dir, LOCK_FILE)
    let fd: number
    try {
      fd = fs.openSync(file, 'a+')
    } catch (error) {
      throw new IoError('open', file, error)
    }
    try {
      flockSync(fd, 'exnb')
    } catch (error) {
      fs.closeSync(fd)
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') throw new LogLockedError(dir)
      throw new IoError('flock', file, error)
    }
    return new DirLock(fd)
  }

  release(): void {
    if (this.fd === null) return
    const fd = this.fd
    this.fd = null
    try {
      flockSync(fd, 'un')
    } finally {
      fs.closeSync(fd)
    }
  }
}
