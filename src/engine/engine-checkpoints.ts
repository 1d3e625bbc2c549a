import path from 'node:path'
import type { PartitionLog } from '../log/partition-log.js'
import {
  checkpointKey,
  formatCheckpoint,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  writeCheckpointFile,
} from './checkpoint-file.js'
import { readTextIfExists } from './engine-options.js'

/**
 * Writes an engine's two checkpoint files (recovery points and log start offsets) from its
 * partition logs, skipping the write when neither would change: opening a directory alone does
 * not touch them.
 */
export class CheckpointWriter {
  private readonly dir: string
  private lastText = ''

  constructor(dir: string) {
    this.dir = dir
  }

  /** Writes both files if anything in them changed since the last write; true if it wrote. */
  write(logs: Iterable<PartitionLog>): boolean {
    const recoveryPoints = new Map<string, number>()
    const logStartOffsets = new Map<string, number>()
    for (const log of logs) {
      const key = checkpointKey(log.topic, log.partition)
      recoveryPoints.set(key, log.recoveryPoint)
      // Like Kafka, only partitions whose start lies past their first segment need an entry.
      if (log.logStartOffset > (log.segmentList[0]?.baseOffset ?? 0)) logStartOffsets.set(key, log.logStartOffset)
    }
    const text = formatCheckpoint(recoveryPoints) + formatCheckpoint(logStartOffsets)
    if (this.lastText === '')
      this.lastText =
        readTextIfExists(path.join(this.dir, RECOVERY_POINT_CHECKPOINT)) +
        readTextIfExists(path.join(this.dir, LOG_START_OFFSET_CHECKPOINT))
    if (text === this.lastText) return false
    writeCheckpointFile(path.join(this.dir, RECOVERY_POINT_CHECKPOINT), recoveryPoints)
    writeCheckpointFile(path.join(this.dir, LOG_START_OFFSET_CHECKPOINT), logStartOffsets)
    this.lastText = text
    return true
  }
}
