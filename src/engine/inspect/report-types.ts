import type { TopicConfig } from '../topic-config.js'
import type { FlushPolicy } from '../../log/flush-policy.js'

/**
 * The figures `seglog inspect` prints, gathered by reading the directory read-only: headers of
 * every batch (streamed, no record bodies but the offsets log's, which are replayed for the
 * consumer groups), index sizes, checkpoints and topics.json. The shapes here are the `--json`
 * document, field for field.
 */

export interface InspectOptions {
  /** Decompress compressed batches to measure the compression ratio. */
  isDeep: boolean
  onProblem: (message: string) => void
  onProgress?: (bytes: number) => void
}

export interface CodecReport {
  batches: number
  records: number
  bytes: number
  /** Decompressed / stored bytes of the records areas; only with --deep. */
  ratio: number | null
}

export interface SegmentReport {
  file: string
  baseOffset: number
  bytes: number
  batches: number
  records: number
  firstOffset: number | null
  lastOffset: number | null
  firstTimestamp: number | null
  maxTimestamp: number | null
  compression: Record<string, CodecReport>
  indexEntries: { offset: number; time: number }
  /** The time index's last entry: the engine's largest timestamp of a closed segment. */
  timeIndexLastEntry: { timestamp: number; offset: number } | null
  /** Index files that are missing (the engine rebuilds them on open). */
  missingFiles: string[]
  /** Bytes of a partial batch at the end of the log. */
  trailingBytes: number
  /** Why the scan stopped before the end, if it did (the figures then cover the bytes before it). */
  readError: string | null
}

export interface PartitionReport {
  name: string
  topic: string
  partition: number
  dir: string
  /** The directory exists; a partition of topics.json without one has only its name. */
  exists: boolean
  /** topics.json lists it. */
  isKnown: boolean
  segments: number
  logStartOffset: number | null
  logEndOffset: number | null
  checkpoint: { recoveryPoint: number | null; logStartOffset: number | null }
  records: number
  batches: number
  bytes: number
  firstTimestamp: number | null
  maxTimestamp: number | null
  compression: Record<string, CodecReport>
  indexEntries: { offset: number; time: number }
  quarantine: { file: string; bytes: number; cutFrom: string; position: number }[]
  leftovers: { file: string; bytes: number; why: string }[]
  snapshots: { file: string; offset: number; bytes: number }[]
  segmentList: SegmentReport[]
}

/** A consumer group's commit for one partition, from the offsets log, against that partition's log end. */
export interface GroupReport {
  group: string
  topic: string
  partition: number
  committedOffset: number
  /** The partition's log end from the scan; null when it has no segments here (a deleted topic). */
  logEndOffset: number | null
  /**
   * Records from the commit (or the log start, if that is later) to the log end, as the engine's
   * describeGroup counts; null without a log end.
   */
  lag: number | null
  metadata: string
  commitTimestamp: number
}

export interface TopicReport {
  name: string
  partitions: number
  settings: Omit<TopicConfig, 'partitions' | 'flush'>
  /** The topic's flush override; null means the engine's own policy applies. */
  flush: FlushPolicy | null
}

export interface CheckpointReport {
  file: string
  exists: boolean
  error: string | null
  entries: Record<string, number>
}

export interface DataDirReport {
  type: 'data-dir'
  dir: string
  shutdown: { isClean: boolean; closedAt: number | null }
  lock: { hasLockFile: boolean; heldByPid: number | null | 'unknown' }
  topicsFile: { exists: boolean; error: string | null }
  topics: TopicReport[]
  checkpoints: { recoveryPoint: CheckpointReport; logStart: CheckpointReport }
  partitions: PartitionReport[]
  /** The live commits of the offsets log (`__consumer_offsets-0`), by group, topic and partition. */
  groups: GroupReport[]
  /** Records waiting for delayed delivery, as the due-time index holds them; null without one. */
  delayed: { pending: number; earliestDueMs: number | null } | null
  /** Leftovers of the data directory itself: unfinished topic deletions, temp files. */
  leftovers: { file: string; why: string }[]
  totals: { partitions: number; segments: number; batches: number; records: number; bytes: number }
}

export interface PartitionDirReport {
  type: 'partition-dir'
  dir: string
  /** The data directory around it, when there is one (its checkpoints are used). */
  dataDir: string | null
  partition: PartitionReport
}
