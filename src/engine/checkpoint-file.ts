import fs from 'node:fs'
import { formatCheckpoint, parseCheckpoint } from '../format/checkpoint.js'
import { IoError } from '../log/errors.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'

/**
 * The checkpoint files' I/O: the format itself (Kafka's text checkpoint) is parsed and written in
 * src/format/checkpoint.ts. Files are replaced atomically (temp file, fsync, rename, directory fsync).
 */
export {
  checkpointKey,
  formatCheckpoint,
  LOG_START_OFFSET_CHECKPOINT,
  parseCheckpoint,
  RECOVERY_POINT_CHECKPOINT,
} from '../format/checkpoint.js'

/** Reads a checkpoint file; a missing file is an empty map (every partition defaults to 0). */
export function readCheckpointFile(file: string): Map<string, number> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw new IoError('read', file, error)
  }
  return parseCheckpoint(text, file)
}

export function writeCheckpointFile(file: string, entries: ReadonlyMap<string, number>): void {
  writeFileAtomicSync(file, formatCheckpoint(entries))
}
