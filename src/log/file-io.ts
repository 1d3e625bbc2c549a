import { IoError } from './errors.js'
import { nodeFileSystem, type LogFileSystem, type SegmentFile } from './file-system.js'

/**
 * Whole reads, writes and syncs over the one-call-at-a-time file interface: short reads and writes
 * are continued, and failures are wrapped once in IoError naming the operation and the file.
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
export function readAt(file: SegmentFile, name: string, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  if (length <= SYNC_READ_MAX_BYTES) {
    try {
      return Promise.resolve(readAtSync(file, name, buf, offset, length, position))
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return readAtAsync(file, name, buf, offset, length, position)
}

/** Reads up to `length` bytes at `position` into a new buffer (shorter at the end of the file). */
export async function readBytes(file: SegmentFile, name: string, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(Math.max(0, length))
  const got = await readAt(file, name, buf, 0, buf.length, position)
  return got === buf.length ? buf : buf.subarray(0, got)
}

/** Reads up to `length` bytes at `position` into the start of `buf`: the part of `buf` filled. */
export async function readInto(file: SegmentFile, name: string, buf: Buffer, position: number, length: number): Promise<Buffer> {
  const got = await readAt(file, name, buf, 0, length, position)
  return buf.subarray(0, got)
}

/** `readAt`, always synchronous. */
export function readAtSync(file: SegmentFile, name: string, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0
  try {
    while (done < length) {
      const bytesRead = file.readSync(buf, offset + done, length - done, position + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
  } catch (error) {
    throw new IoError('read', name, error)
  }
  return done
}

async function readAtAsync(
  file: SegmentFile,
  name: string,
  buf: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0
  while (done < length) {
    let bytesRead: number
    try {
      bytesRead = await file.read(buf, offset + done, length - done, position + done)
    } catch (error) {
      throw new IoError('read', name, error)
    }
    if (bytesRead === 0) break
    done += bytesRead
  }
  return done
}

/**
 * Writes every buffer at `position` with one writev where possible. A short write is continued,
 * so the promise only resolves once all bytes are in the file; an error rejects with IoError and
 * the bytes written so far are left for the caller to cut.
 */
export function writevAt(file: SegmentFile, name: string, buffers: Buffer[], position: number): Promise<void> {
  let total = 0
  for (const buffer of buffers) total += buffer.length
  if (total <= SYNC_WRITE_MAX_BYTES && file.writevSync !== undefined) {
    // This turn of the event loop has written its share: let it turn (timers, I/O), then write.
    if (!takeSyncWriteTurn(total)) return nextTurn().then(() => writevAt(file, name, buffers, position))
    try {
      writevAtSync(file, name, buffers, position, total)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }
  // The usual case, one writev writing everything, costs one promise more than the call itself.
  return file.writev(buffers, position).then(
    (written) => (written === total ? undefined : writeRest(file, name, buffers, position, written, total)),
    (error: unknown) => {
      throw new IoError('write', name, error)
    },
  )
}

/**
 * Appends up to this many bytes are written synchronously. For a small append the thread-pool
 * round trip (about 40 µs here, plus a promise and a wake-up of the event loop) is most of its
 * cost: single-record appends ran 2–4× faster written synchronously, and 8 KiB batches 2×. Batches
 * of about 120 KB cost 1.3–1.9× less CPU written synchronously; in wall-clock time pre-encoded ones
 * were 1.9× faster, and `appendRecords` batches 1.55× faster on a quiet machine (73 % of the plain
 * writer against 47 %), though slower on a loaded one, where the thread pool's write overlaps other
 * work. 1 MB writes gained nothing in CPU time (the kernel's copy into the page cache dominates)
 * and held the event loop for a millisecond, hence 128 KiB, the synchronous read limit too. The
 * order of appends is the log's queue either way, and what makes a `sync` append durable (the
 * fsync) is unchanged. SEGLOG_SYNC_WRITE_MAX_BYTES overrides it for measurements (0 sends every
 * write through the thread pool). See docs/performance.md.
 */
export const SYNC_WRITE_MAX_BYTES = syncWriteLimit(process.env.SEGLOG_SYNC_WRITE_MAX_BYTES, 128 * 1024)

function syncWriteLimit(setting: string | undefined, fallback: number): number {
  const bytes = setting === undefined || setting === '' ? Number.NaN : Number(setting)
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : fallback
}

/**
 * Synchronous writes allowed before the event loop turns. Appends that complete synchronously
 * resolve in microtasks, so a loop of them (a producer under load) would otherwise never let
 * timers, I/O or the log's own deferred work run: memory grew without bound in the producer's
 * backpressure test. After this many, the next write waits for the loop's next turn
 * (`setImmediate`) and is then written synchronously. It went through the thread pool before,
 * which yields as well but costs a round trip and an asynchronous write: `appendBatch` of 120 KB
 * batches, one write in 33 of which waits so, ran 1.04× faster (1,912 against 1,845 MB/s,
 * 1,793–1,996 against 1,534–1,957).
 */
export const SYNC_WRITES_PER_TURN = 64

/**
 * Bytes written synchronously before the event loop turns: 64 writes of 128 KiB would hold the
 * loop for several milliseconds; this bounds a turn's synchronous writing to about one or two.
 */
export const SYNC_WRITE_BYTES_PER_TURN = 4 * 1024 * 1024

let syncWritesThisTurn = 0
let syncBytesThisTurn = 0
let turnWatchPending = false

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function takeSyncWriteTurn(bytes: number): boolean {
  if (!turnWatchPending) {
    turnWatchPending = true
    setImmediate(() => {
      turnWatchPending = false
      syncWritesThisTurn = 0
      syncBytesThisTurn = 0
    })
  }
  if (syncWritesThisTurn >= SYNC_WRITES_PER_TURN || syncBytesThisTurn + bytes > SYNC_WRITE_BYTES_PER_TURN) return false
  syncWritesThisTurn++
  syncBytesThisTurn += bytes
  return true
}

/** `writevAt` on the calling thread, continuing short writes. */
function writevAtSync(file: SegmentFile, name: string, buffers: Buffer[], position: number, total: number): void {
  let written = 0
  let pending = buffers
  while (written < total) {
    let got: number
    try {
      got = file.writevSync!(pending, position + written)
    } catch (error) {
      throw new IoError('write', name, error)
    }
    if (got === 0) throw new IoError('write', name, new Error('no progress writing (short write)'))
    written += got
    if (written < total) pending = dropPrefix(buffers, written)
  }
}

/** Continues a short write until all `total` bytes are in the file. */
async function writeRest(
  file: SegmentFile,
  name: string,
  buffers: Buffer[],
  position: number,
  written: number,
  total: number,
): Promise<void> {
  let lastWritten = written
  while (written < total) {
    if (lastWritten === 0) throw new IoError('write', name, new Error('no progress writing (short write)'))
    const pending = dropPrefix(buffers, written)
    try {
      lastWritten = await file.writev(pending, position + written)
    } catch (error) {
      throw new IoError('write', name, error)
    }
    written += lastWritten
  }
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

/** Writes all of `buffer` at `position` synchronously (index entries, quarantine copies, small files). */
export function writeAllSync(file: SegmentFile, name: string, buffer: Buffer, length: number, position: number): void {
  try {
    let done = 0
    while (done < length) {
      const written = file.writeSync(buffer, done, length - done, position + done)
      if (written === 0) throw new Error('no progress writing (short write)')
      done += written
    }
  } catch (error) {
    throw new IoError('write', name, error)
  }
}

export async function fdatasync(file: SegmentFile, name: string): Promise<void> {
  try {
    await file.datasync()
  } catch (error) {
    throw new IoError('fsync', name, error)
  }
}

/** Opens `file`, wrapping a failure in IoError. */
export function openFile(
  fileSystem: LogFileSystem,
  file: string,
  mode: Parameters<LogFileSystem['openSync']>[1],
  operation = 'open',
): SegmentFile {
  try {
    return fileSystem.openSync(file, mode)
  } catch (error) {
    throw new IoError(operation, file, error)
  }
}

/** fsyncs a directory so that file creations and renames in it are durable. */
export function fsyncDirSync(dir: string, fileSystem: LogFileSystem = nodeFileSystem): void {
  const handle = openFile(fileSystem, dir, 'read')
  try {
    handle.syncSync()
  } catch (error) {
    throw new IoError('fsync', dir, error)
  } finally {
    handle.closeSync()
  }
}

/** `fsyncDirSync` through the thread pool, for fsyncs off the append path. */
export async function fsyncDir(dir: string, fileSystem: LogFileSystem = nodeFileSystem): Promise<void> {
  const handle = openFile(fileSystem, dir, 'read')
  try {
    await handle.sync()
  } catch (error) {
    throw new IoError('fsync', dir, error)
  } finally {
    handle.closeSync()
  }
}
