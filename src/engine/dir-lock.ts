import fs from 'node:fs'
import path from 'node:path'
import { flockSync } from 'fs-ext'
import { SeglogError } from '../errors.js'
import { IoError } from '../log/errors.js'

export const LOCK_FILE = '.lock'

/** Another engine (in this or another process) owns the data directory. */
export class LogLockedError extends SeglogError {
  readonly dir: string
  /** The process holding the lock (this one, if another engine here owns it); null when it cannot be found. */
  readonly pid: number | null

  constructor(dir: string, pid: number | null = null) {
    const holder = pid === null ? '' : pid === process.pid ? ` in this process (pid ${pid})` : ` in process ${pid}`
    super('LOG_LOCKED', `${dir} is locked by another seglog engine (flock on ${LOCK_FILE})${holder}; close it first`)
    this.dir = dir
    this.pid = pid
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
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') throw new LogLockedError(dir, readLockState(dir).holderPid ?? null)
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

export interface LockState {
  hasLockFile: boolean
  /** Process holding the flock, null when nobody does, undefined when this system cannot tell. */
  holderPid: number | null | undefined
}

/**
 * Who holds the engine's flock on DATA/.lock, found without taking it: on Linux /proc/locks lists
 * every lock with the device and inode of its file. Elsewhere the answer is "unknown". Read-only
 * tools (the CLI's inspect) use it as well as LogLockedError.
 */
export function readLockState(dir: string): LockState {
  const file = path.join(dir, LOCK_FILE)
  let stats: fs.Stats
  try {
    stats = fs.statSync(file)
  } catch {
    return { hasLockFile: false, holderPid: null }
  }
  let locks: string
  try {
    locks = fs.readFileSync('/proc/locks', 'utf8')
  } catch {
    return { hasLockFile: true, holderPid: undefined }
  }
  return { hasLockFile: true, holderPid: findFlockHolder(locks, stats.dev, stats.ino) }
}

/** The pid that /proc/locks text shows holding an flock on the file with this device and inode, or null. */
export function findFlockHolder(locks: string, device: number, inode: number): number | null {
  // glibc's dev_t split; /proc/locks prints MAJOR:MINOR in hex and the inode in decimal.
  const dev = BigInt(device)
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn))
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn))
  for (const line of locks.split('\n')) {
    // 1: FLOCK  ADVISORY  WRITE 1334 fe:00:2147914 0 EOF
    const match = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line)
    if (match === null) continue
    if (Number(match[4]) === inode && parseInt(match[2]!, 16) === major && parseInt(match[3]!, 16) === minor) return Number(match[1])
  }
  return null
}
