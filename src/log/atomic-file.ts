import path from 'node:path'
import { IoError } from './errors.js'
import { fsyncDir, fsyncDirSync } from './file-io.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'

/**
 * Replaces `file` with `content` so that a crash leaves either the old or the new content, never a
 * mix: write `file.tmp`, fsync it, rename it over `file`, fsync the directory.
 */
export function writeFileAtomicSync(file: string, content: string | Buffer, fileSystem: LogFileSystem = nodeFileSystem): void {
  const tmp = `${file}.tmp`
  const bytes = typeof content === 'string' ? Buffer.from(content) : content
  try {
    const handle = fileSystem.openSync(tmp, 'replace')
    try {
      writeWhole(handle, bytes)
      handle.syncSync()
    } finally {
      handle.closeSync()
    }
    fileSystem.renameSync(tmp, file)
  } catch (error) {
    throw new IoError('write', file, error)
  }
  fsyncDirSync(path.dirname(file), fileSystem)
}

/** `writeFileAtomicSync` with its fsyncs through the thread pool, for writes off the append path. */
export async function writeFileAtomic(file: string, content: Buffer, fileSystem: LogFileSystem = nodeFileSystem): Promise<void> {
  const tmp = `${file}.tmp`
  try {
    const handle = fileSystem.openSync(tmp, 'replace')
    try {
      writeWhole(handle, content)
      await handle.sync()
    } finally {
      handle.closeSync()
    }
    // Through the thread pool where the file system can: a rename waits on the journal, which the
    // fsyncs of partitions closing alongside keep busy, and the event loop has their work to do.
    if (fileSystem.rename === undefined) fileSystem.renameSync(tmp, file)
    else await fileSystem.rename(tmp, file)
  } catch (error) {
    throw new IoError('write', file, error)
  }
  await fsyncDir(path.dirname(file), fileSystem)
}

function writeWhole(handle: { writeSync(buffer: Buffer, offset: number, length: number, position: number): number }, bytes: Buffer): void {
  let done = 0
  while (done < bytes.length) {
    const written = handle.writeSync(bytes, done, bytes.length - done, done)
    if (written === 0) throw new Error('no progress writing (short write)')
    done += written
  }
}
