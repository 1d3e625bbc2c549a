import type { PartitionLog } from '../log/partition-log.js'
import type { StoredOffset } from './transactional-offsets.js'

export interface PartitionLag {
  topic: string
  partition: number
  committedOffset: number | null
  logEndOffset: number
  /** Records between the commit (or the log start, without one) and the high watermark. */
  lag: number
  metadata: string | null
  commitTimestamp: number | null
}

/** Per committed partition of one group: its commit, the log end and the lag, sorted by topic and partition. */
export function lagRows(offsets: Iterable<StoredOffset>, partitionLog: (topic: string, partition: number) => PartitionLog): PartitionLag[] {
  const rows: PartitionLag[] = []
  for (const value of offsets) {
    let end = -1
    let start = 0
    try {
      const log = partitionLog(value.topic, value.partition)
      end = log.highWatermark
      start = log.logStartOffset
    } catch {
      // The topic was deleted since the commit: report the commit without a lag.
    }
    rows.push({
      topic: value.topic,
      partition: value.partition,
      committedOffset: value.offset,
      logEndOffset: end,
      lag: end < 0 ? 0 : Math.max(0, end - Math.max(value.offset, start)),
      metadata: value.metadata,
      commitTimestamp: value.commitTimestamp,
    })
  }
  return rows.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
}

/**
 * A committed offset past its partition's log end (the partition was truncated, or lost an
 * unflushed tail in a crash) is lowered to the log end, and reported: a commit must never point
 * beyond what exists. The lowered value is written by the next commit of that partition.
 */
export function clampToLogEnds(
  groups: ReadonlyMap<string, ReadonlyMap<string, StoredOffset>>,
  partitionLog: (topic: string, partition: number) => PartitionLog,
  warn: (message: string) => void,
): void {
  for (const [group, offsets] of groups) {
    for (const value of offsets.values()) {
      let end: number
      try {
        end = partitionLog(value.topic, value.partition).logEndOffset
      } catch {
        continue // the topic is gone; describeGroup reports the commit without a lag
      }
      if (value.offset > end) {
        warn(
          `group ${group}: committed offset ${value.offset} of ${value.topic}-${value.partition} is past its log end ${end}; using ${end}`,
        )
        value.offset = end
      }
    }
  }
}
