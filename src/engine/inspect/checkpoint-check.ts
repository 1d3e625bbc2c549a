import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../checkpoint-file.js'
import { checkpointLine, readCheckpoint, type CheckpointFile } from './data-dir.js'

/** What a partition's segments span, for the checkpoint checks. */
export interface PartitionExtent {
  firstBaseOffset: number
  logEndOffset: number
}

/**
 * The checks of a data directory's checkpoint files against its partitions: each entry must name
 * a partition directory, a recovery point must not pass the log end, and a log start offset must
 * lie within the partition's offsets. Findings go to `problem` in file and line order.
 */
export function checkCheckpoints(
  dir: string,
  extents: ReadonlyMap<string, PartitionExtent | null>,
  names: readonly string[],
  problem: (file: string, message: string) => void,
): void {
  const recoveryPoints = readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT)
  const logStarts = readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT)
  for (const checkpoint of [recoveryPoints, logStarts]) {
    if (checkpoint.error !== null) problem(checkpoint.file, checkpoint.error)
  }
  const known = new Set(names)
  forEachCheckpointEntry(recoveryPoints, known, extents, problem, (offset, extent, where) => {
    if (offset > extent.logEndOffset)
      problem(recoveryPoints.file, `${where}: recovery point ${offset} is past the log end offset ${extent.logEndOffset}`)
  })
  forEachCheckpointEntry(logStarts, known, extents, problem, (offset, extent, where) => {
    if (offset < extent.firstBaseOffset || offset > extent.logEndOffset) {
      problem(
        logStarts.file,
        `${where}: log start offset ${offset} is outside the partition's offsets [${extent.firstBaseOffset}, ${extent.logEndOffset}] (first segment base, log end)`,
      )
    }
  })
}

function forEachCheckpointEntry(
  checkpoint: CheckpointFile,
  known: ReadonlySet<string>,
  extents: ReadonlyMap<string, PartitionExtent | null>,
  problem: (file: string, message: string) => void,
  check: (offset: number, extent: PartitionExtent, where: string) => void,
): void {
  for (const [key, offset] of checkpoint.entries) {
    const where = `${checkpoint.file} line ${checkpointLine(checkpoint, key)} (${key})`
    const [topic, partition] = key.split(' ')
    if (!known.has(`${topic}-${partition}`)) {
      problem(checkpoint.file, `${where}: names a partition that has no directory`)
      continue
    }
    const extent = extents.get(key)
    if (extent !== undefined && extent !== null) check(offset, extent, where)
  }
}
