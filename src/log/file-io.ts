import fs from 'node:fs'
import { IoError } from './errors.js'

/**
 * Promise wrappers over the callback fs API. The callback API skips the FileHandle machinery of
 * fs/promises, which costs measurably on the append and read paths.
 */

/**
 * Reads this small are done synchronously. A page-cache read of 100 KB takes about 15 µs here,
 * while a round trip through libuv's thread pool costs about 40 µs on its own, so for the small
 * reads of a lookup (a batch header, one batch) the synchronous call is both faster and cheaper
 * for the event loop. Larger reads (fetches of many batches, sequential scans) stay asynchronous.
 */
export const SYNC_READ_MAX_BYTES = 128 * 1024

/**
 * Reads up to `length` bytes at `position`, looping over short reads until EOF: synchronously for
 * reads up to SYNC_READ_MAX_BYTES, through the thread pool above that.
 */
export function readAt(fd: number, file: string, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  if (length <= SYNC_READ_MAX_BYTES) {
    try {
      return Promise.resolve(readAtSync(fd, buf, offset, length, position))
    } catch (error) {
      return Promise.reject(new IoError('read', file, error))
    }
  }
  return readAtAsync(fd, file, buf, offset, length, position)
}

function readAtSync(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const bytesRead = fs.readSync(fd, buf, offset + done, length - done, position + done)
    if (bytesRead === 0) break
    done += bytesRead
  }
  return done
}

function readAtAsync(fd: number, file: string, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0
    const step = (): void => {
      fs.read(fd, buf, offset + done, length - done, position + done, (error, bytesRead) => {
        if (error) return reject(new IoError('read', file, error))
        done += bytesRead
        if (bytesRead === 0 || done === length) return resolve(done)
        step()
      })
    }
    step()
  })
}

/**
 * Writes every buffer at `position` with one writev where possible. A short write is continued,
 * so the promise only resolves once all bytes are in the file; an error rejects with IoError and
 * the bytes written so far are left for the caller to cut.
 */
export function writevAt(fd: number, file: string, buffers: Buffer[], position: number): Promise<void> {
  let total = 0
  for (const buffer of buffers) total += buffer.length
  return new Promise((resolve, reject) => {
    let written = 0
    let pending = buffers
    const step = (): void => {
      fs.writev(fd, pending, position + written, (error, bytesWritten) => {
        if (error) return reject(new IoError('write', file, error))
        written += bytesWritten
        if (written === total) return resolve()
        if (bytesWritten === 0) return reject(new IoError('write', file, new Error('no progress writing (short write)')))
        pending = dropPrefix(pending, bytesWritten)
        step()
      })
    }
    step()
  })
}

function dropPrefix(buffers: Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = []
  for (const buffer of buffers) {
    if (bytes >= buffer.length) {
      bytes -= buffer.length
      continue
    }
    rest.push(bytes > 0 ? buffer.subarray(bytes) : buffer)
    bytes = 0
  }
  return rest
}

export function fdatasync(fd: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (error) => (error ? reject(new IoError('fsync', file, error)) : resolve()))
  })
}

/** fsyncs a directory so that file creations and renames in it are durable. */
export function fsyncDirSync(dir: string): void {
  let fd: number
  try {
    fd = fs.openSync(dir, 'r')
  } catch (error) {
    throw new IoError('open', dir, error)
  }
  try {
    fs.fsyncSync(fd)
  } catch (error) {
    throw new IoError('fsync', dir, error)
  } finally {
    fs.closeSync(fd)
  }
}
