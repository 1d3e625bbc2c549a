import path from 'node:path'
import { checkpointKey, RECOVERY_POINT_CHECKPOINT } from '../../engine/checkpoint-file.js'
import { damageOutcome, type RecoveryState } from '../../engine/segment-damage.js'
import { parsePartitionDirName } from '../../engine/topic-config.js'
import { LOG_SUFFIX, offsetFileName, parseOffsetFileName } from '../../log/segment-files.js'
import { classifyDirOrNull, listDir, readCheckpoint, readShutdownState } from './data-dir.js'
import type { SegmentDamageAt } from './segment-scan.js'

/**
 * What `seglog verify` and `seglog dump` say about damage in a segment: what the engine's next
 * open does with it, read from the same files the engine reads (the clean-shutdown marker, the
 * recovery-point checkpoint, the segments beside it). The rule itself is src/engine/segment-damage.ts.
 */

/**
 * What the engine's next open knows about a partition directory: the clean-shutdown marker and the
 * recovery point of its data directory (null when the directory is not inside one).
 */
export function recoveryStateOf(partitionDir: string): RecoveryState | null {
  const dataDir = path.dirname(path.resolve(partitionDir))
  const partition = parsePartitionDirName(path.basename(path.resolve(partitionDir)))
  if (partition === null || classifyDirOrNull(dataDir) !== 'data') return null
  const recoveryPoints = readCheckpoint(dataDir, RECOVERY_POINT_CHECKPOINT).entries
  return {
    isClean: readShutdownState(dataDir).isClean,
    recoveryPoint: recoveryPoints.get(checkpointKey(partition.topic, partition.partition)) ?? 0,
  }
}

/** A `.log` file among the segments of its directory. */
export interface SegmentContext {
  /** Base offsets of every `.log` in the directory, ascending (this one included). */
  baseOffsets: number[]
  slot: number
  recoveryState: RecoveryState | null
}

/**
 * The segments beside `logFile` and its data directory's recovery state; null when the file is not
 * named `<20-digit offset>.log` or its directory cannot be listed (a lone file: no context).
 */
export function segmentContextOf(logFile: string): SegmentContext | null {
  const parsed = parseOffsetFileName(path.basename(logFile))
  if (parsed === null || parsed.suffix !== LOG_SUFFIX) return null
  const dir = path.dirname(logFile)
  let names: string[]
  try {
    names = listDir(dir)
  } catch {
    return null
  }
  const baseOffsets = names
    .map((name) => parseOffsetFileName(name))
    .filter((name) => name?.suffix === LOG_SUFFIX)
    .map((name) => name!.offset)
    .sort((a, b) => a - b)
  const slot = baseOffsets.indexOf(parsed.offset)
  if (slot < 0) return null
  return { baseOffsets, slot, recoveryState: recoveryStateOf(dir) }
}

/**
 * The end of the line reporting a partition's first damage: whether the engine's recovery cuts it
 * (and what else goes with it), or refuses and `seglog repair` is the way out.
 */
export function describeDamageOutcome(
  state: RecoveryState | null,
  baseOffsets: readonly number[],
  slot: number,
  damage: SegmentDamageAt,
): string {
  const later = baseOffsets.length - 1 - slot
  if (state === null) {
    return later > 0 ? `; not a torn write: ${offsetFileName(baseOffsets[slot + 1]!, LOG_SUFFIX)} follows this segment` : ''
  }
  switch (damageOutcome(state, baseOffsets, slot, damage.nextOffset)) {
    case 'clean-shutdown':
      return '; the directory was shut down cleanly, so the engine will not cut this: it refuses to open the partition or fails reads here (seglog repair moves it to quarantine)'
    case 'below-recovery-point':
      return `; below the recovery point ${state.recoveryPoint} (fsynced, acknowledged data), so the engine will not cut this: it refuses to open the partition or fails reads here (seglog repair moves it to quarantine)`
    case 'recovery-cuts': {
      if (later === 0)
        return `; at or past the recovery point ${state.recoveryPoint}: a torn write, which recovery cuts off into a quarantine file`
      const following = later === 1 ? 'the segment after it' : `the ${later} segments after it`
      return `; at or past the recovery point ${state.recoveryPoint}: recovery cuts the log here and moves the rest, with ${following}, into quarantine files`
    }
  }
}
