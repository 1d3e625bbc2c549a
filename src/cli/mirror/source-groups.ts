import fs from 'node:fs'
import path from 'node:path'
import { OFFSETS_TOPIC } from '../../consumer/offset-store.js'
import { OffsetsReplay, type GroupCommit } from '../../engine/inspect/offsets-replay.js'
import { IoError } from '../../log/errors.js'
import { FileBatchReader } from '../../log/file-batch-reader.js'
import { LOG_SUFFIX, offsetFileName, parseOffsetFileName } from '../../log/segment-files.js'

/**
 * The consumer groups' committed offsets of a data directory, read from its offsets log
 * (`__consumer_offsets-0`) without the lock, while its owner may be writing it: every `.log` file
 * in order, whole batches only (a partial one at the end is a write in progress), by the replay
 * rules of the offset store. The store's compaction appends the live values before it deletes the
 * older segments, so any set of segments read in order gives the state of some moment. A segment
 * that disappears while it is read (compaction deleted it) makes the read start over.
 */
export function readSourceCommits(dir: string, onProblem: (message: string) => void): GroupCommit[] {
  const logDir = path.join(dir, `${OFFSETS_TOPIC}-0`)
  for (let attempt = 0; ; attempt++) {
    try {
      return readOnce(logDir, onProblem)
    } catch (error) {
      const code = ((error as IoError).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' || attempt >= 5) throw error
    }
  }
}

function readOnce(logDir: string, onProblem: (message: string) => void): GroupCommit[] {
  if (!fs.existsSync(logDir)) return []
  const bases = fs
    .readdirSync(logDir)
    .map((name) => parseOffsetFileName(name))
    .filter((parsed) => parsed !== null && parsed.suffix === LOG_SUFFIX)
    .map((parsed) => parsed!.offset)
    .sort((a, b) => a - b)
  const replay = new OffsetsReplay(0, onProblem)
  for (const base of bases) {
    const file = path.join(logDir, offsetFileName(base, LOG_SUFFIX))
    const reader = FileBatchReader.openSync(file)
    try {
      for (let batch = reader.next(); batch !== null; batch = reader.next()) replay.applyBatch(file, batch, reader.batchPosition)
    } finally {
      reader.close()
    }
  }
  return replay.commitsInOrder()
}

/** Keeps the commits of `groups` (all when undefined), leaving out the mirror's own and internal ones. */
export function selectCommits(
  commits: readonly GroupCommit[],
  groups: readonly string[] | undefined,
  exclude: (group: string) => boolean,
): GroupCommit[] {
  return commits.filter((commit) => !exclude(commit.group) && (groups === undefined || groups.includes(commit.group)))
}
