import fs from 'node:fs'
import path from 'node:path'
import { IoError } from './errors.js'
import { fsyncDirSync } from './file-io.js'

/**
 * Replaces `file` with `content` so that a crash leaves either the old or the new content, never a
 * mix: write `file.tmp`, fsync it, rename it over `file`, fsync the directory.
 */
export function writeFileAtomicSync(file: string, content: string | Buffer): void {
  const tmp = `${file}.tmp`
  try {
    const fd = fs.openSync(tmp, 'w', 0o644)
    try {
      fs.writeFileSync(fd, content)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
  } catch (error) {
    throw new IoError('write', file, error)
  }
  fsyncDirSync(path.dirname(file))
}
