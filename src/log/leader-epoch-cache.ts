import path from 'node:path'
import {
  formatLeaderEpochCheckpoint,
  LEADER_EPOCH_CHECKPOINT,
  parseLeaderEpochCheckpoint,
  type EpochEntry,
} from '../format/leader-epoch-checkpoint.js'
import type { RecordBatch } from '../record/record-batch.js'
import { writeFileAtomicSync } from './atomic-file.js'
import { wrapIo } from './errors.js'
import type { LogFileSystem } from './file-system.js'

/** Kafka's answer for an epoch nobody knows: OffsetForLeaderEpoch's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1

/** OffsetForLeaderEpoch's answer: the largest epoch <= the one asked for, and the offset where it ended. */
export interface EpochEndOffset {
  epoch: number
  endOffset: number
}

/**
 * The leader-epoch cache of one partition (Kafka's LeaderEpochFileCache): for each leader epoch the
 * offset of its first batch, ascending in both, persisted to `leader-epoch-checkpoint` (replaced
 * atomically, fsynced) whenever it changes. Entries come from `assign` (a broker that becomes leader
 * assigns its epoch at the log end) and from appended or recovered batches carrying a larger
 * partitionLeaderEpoch. The log keeps it in step with truncation (`truncateFromEnd`) and a moving
 * log start (`truncateFromStart`). Single writer: the partition's queue.
 */
export class LeaderEpochCache {
  readonly file: string
  private readonly fileSystem: LogFileSystem
  private entries: EpochEntry[]

  private constructor(file: string, fileSystem: LogFileSystem, entries: EpochEntry[]) {
    this.file = file
    this.fileSystem = fileSystem
    this.entries = entries
  }

  /**
   * Reads `leader-epoch-checkpoint` in `dir` (empty when absent); a damaged file is CORRUPT_METADATA.
   * `isListed`: whether the directory listing an open has just made shows the file, which then
   * needs no probe of its own.
   */
  static load(dir: string, fileSystem: LogFileSystem, isListed?: boolean): LeaderEpochCache {
    const file = path.join(dir, LEADER_EPOCH_CHECKPOINT)
    const entries =
      (isListed ?? fileSystem.existsSync(file))
        ? parseLeaderEpochCheckpoint(wrapIo('read', file, () => fileSystem.readFileSync(file)).toString('utf8'), file)
        : []
    return new LeaderEpochCache(file, fileSystem, entries)
  }

  /** The entries, oldest first. */
  all(): EpochEntry[] {
    return this.entries.map((entry) => ({ ...entry }))
  }

  /** The newest epoch, or UNDEFINED_EPOCH when none is known. */
  get latestEpoch(): number {
    return this.entries[this.entries.length - 1]?.epoch ?? UNDEFINED_EPOCH
  }

  /** The epoch stamped into batches the log assigns offsets to: the latest, once one is known. */
  get stampEpoch(): number | undefined {
    const latest = this.latestEpoch
    return latest >= 0 ? latest : undefined
  }

  /**
   * Records that `epoch` starts at `startOffset`. Entries that conflict (an epoch at least as
   * large, or a start offset at least as large) are dropped first, as Kafka does; an entry that
   * changes nothing writes nothing.
   */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0) return
    const latest = this.entries[this.entries.length - 1]
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return
    this.entries = this.entries.filter((entry) => entry.epoch < epoch && entry.startOffset < startOffset)
    this.entries.push({ epoch, startOffset })
    this.flush()
  }

  /** Appended (or replayed) batches: the first batch of each newer epoch starts it. */
  onBatch(batch: RecordBatch): void {
    const epoch = batch.partitionLeaderEpoch
    if (epoch >= 0 && epoch > this.latestEpoch) this.assign(epoch, batch.baseOffset)
  }

  /**
   * Kafka's endOffsetForEpoch, OffsetForLeaderEpoch's answer: for the latest epoch the log end; for
   * an older one the largest known epoch <= it and the start offset of the next epoch (where it
   * ended); for an epoch below every known one that epoch and the first start offset; for an
   * unknown newer epoch (or none known) UNDEFINED.
   */
  endOffsetForEpoch(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer
    if (requestedEpoch === this.latestEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset }
    const higher = this.entries.find((entry) => entry.epoch > requestedEpoch)
    if (higher === undefined) return undefinedAnswer
    const floor = this.entries.filter((entry) => entry.epoch <= requestedEpoch).pop()
    return { epoch: floor?.epoch ?? requestedEpoch, endOffset: higher.startOffset }
  }

  /** The log was truncated to `endOffset`: epochs starting at or after it are gone. */
  truncateFromEnd(endOffset: number): void {
    const kept = this.entries.filter((entry) => entry.startOffset < endOffset)
    if (kept.length === this.entries.length) return
    this.entries = kept
    this.flush()
  }

  /**
   * The log start moved to `startOffset`: earlier epochs go, and the epoch holding it now starts
   * there (Kafka keeps it, moved up, so lookups for it still answer).
   */
  truncateFromStart(startOffset: number): void {
    let holding = -1
    for (let slot = 0; slot < this.entries.length && this.entries[slot]!.startOffset <= startOffset; slot++) holding = slot
    if (holding < 0 || (holding === 0 && this.entries[0]!.startOffset === startOffset)) return
    const kept = this.entries.slice(holding)
    kept[0] = { epoch: kept[0]!.epoch, startOffset }
    this.entries = kept
    this.flush()
  }

  private flush(): void {
    writeFileAtomicSync(this.file, formatLeaderEpochCheckpoint(this.entries), this.fileSystem)
  }
}

/**
 * Where a follower must truncate its log (KIP-101, with KIP-279's rounds): given its cache, its log
 * end and the leader's OffsetForLeaderEpoch answer for the follower's latest epoch. When the leader
 * answers with an epoch the follower does not have, the follower cuts at the end of its own
 * largest epoch below that and asks again (`isComplete` false), so logs that diverged over several
 * leader changes still meet at the last offset they share. An UNDEFINED answer leaves `offset`
 * null: the caller falls back to its high watermark, as Kafka does.
 */
export function epochTruncationOffset(
  cache: LeaderEpochCache,
  logEndOffset: number,
  leader: EpochEndOffset,
): { offset: number | null; isComplete: boolean } {
  if (leader.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: null, isComplete: true }
  const own = cache.endOffsetForEpoch(leader.epoch, logEndOffset)
  if (own.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: Math.min(leader.endOffset, logEndOffset), isComplete: true }
  if (own.epoch !== leader.epoch) return { offset: Math.min(own.endOffset, logEndOffset), isComplete: false }
  return { offset: Math.min(leader.endOffset, own.endOffset, logEndOffset), isComplete: true }
}
