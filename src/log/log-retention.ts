import { fsyncDirSync } from './file-io.js'
import type { LogFileSystem } from './file-system.js'
import type { PartitionLogConfig, RetentionResult } from './partition-types.js'
import { decideRetention } from './retention.js'
import type { SegmentList } from './segment-list.js'
import type { Segment } from './segment.js'
import { hasDeleteRetention } from './cleaner/compaction-config.js'

/** A segment renamed to `.deleted`, waiting for in-flight reads before its files go. */
interface PendingDeletion {
  segment: Segment
  dueMs: number
}

export interface RetentionTarget {
  readonly list: SegmentList
  readonly dir: string
  /** `topic-partition`, for warnings. */
  readonly name: string
  readonly config: PartitionLogConfig
  readonly fileSystem: LogFileSystem
  /** Moves the log start and has it checkpointed before anything else happens. */
  advanceLogStart(offset: number): void
}

/**
 * Retention of one partition: which of the oldest segments go (retention.ts decides, purely), and
 * their deletion in two steps, as Kafka's file.delete.delay.ms: renamed `.deleted` at once, so no
 * new read finds them and a crash leaves nothing ambiguous, and unlinked `fileDeleteDelayMs` later.
 * Reads in flight finish either way: they hold the file open.
 */
export class SegmentRetention {
  readonly fileDeleteDelayMs: number
  private readonly log: RetentionTarget
  private pending: PendingDeletion[] = []

  constructor(log: RetentionTarget, fileDeleteDelayMs: number) {
    this.log = log
    this.fileDeleteDelayMs = fileDeleteDelayMs
  }

  /**
   * One pass at `nowMs`, run in the log's queue with no fsync round running: deletes the oldest
   * segments that the log start offset, `retentionBytes` or `retentionMs` no longer keep (never
   * the active one, never data at or above the high watermark), then unlinks what is due.
   */
  apply(nowMs: number, onWarning?: (message: string) => void): RetentionResult {
    const { list, config } = this.log
    const segments = list.all
    const summaries = segments.map((segment, slot) => ({
      baseOffset: segment.baseOffset,
      endOffset: segments[slot + 1]?.baseOffset ?? list.logEndOffset,
      size: segment.size,
      largestTimestamp: segment.largestTimestampForRetention,
      modifiedMs: segment.modifiedMs(),
    }))
    const decision = decideRetention(summaries, {
      // cleanupPolicy 'compact' alone: only the log start offset deletes segments.
      retentionMs: hasDeleteRetention(config) ? config.retentionMs : -1,
      retentionBytes: hasDeleteRetention(config) ? config.retentionBytes : -1,
      logStartOffset: list.logStartOffset,
      highWatermark: list.highWatermark,
      nowMs,
    })
    if (decision.blockedByFutureTimestamp !== null) {
      const blocked = decision.blockedByFutureTimestamp
      onWarning?.(
        `${this.log.name}: segment ${blocked.baseOffset} holds a timestamp ${blocked.largestTimestamp - nowMs} ms in the future; time retention cannot delete it or anything after it`,
      )
    }
    let bytes = 0
    let count = 0
    if (decision.count > 0) {
      // The new log start is made durable before any file is renamed: if power fails after only
      // some renames reached the disk, the survivors below it are still known to be deleted.
      this.log.advanceLogStart(segments[decision.count]!.baseOffset)
      // Out of the list first, so no new read picks a segment whose files are being renamed.
      const doomed = list.removeOldest(decision.count)
      for (const segment of doomed) {
        bytes += segment.size
        this.pending.push({ segment, dueMs: nowMs + this.fileDeleteDelayMs })
        segment.markDeleted()
      }
      count = doomed.length
      fsyncDirSync(this.log.dir, this.log.fileSystem)
    }
    this.removeDue(nowMs)
    return { segments: count, bytes, reason: decision.reason, logStartOffset: list.logStartOffset }
  }

  /** Segments already renamed `.deleted` by someone else (the cleaner's swap), unlinked after the delay. */
  scheduleDeletion(segments: readonly Segment[], nowMs: number): void {
    for (const segment of segments) this.pending.push({ segment, dueMs: nowMs + this.fileDeleteDelayMs })
  }

  /** Unlinks deleted segments whose delay has passed (all of them when `nowMs` is Infinity). */
  removeDue(nowMs: number): void {
    const due = this.pending.filter((pending) => pending.dueMs <= nowMs)
    if (due.length === 0) return
    this.pending = this.pending.filter((pending) => pending.dueMs > nowMs)
    for (const { segment } of due) segment.deleteFiles()
  }

  /** Closes the files of segments waiting for deletion, writing nothing (the log is closing). */
  closeQuietly(): void {
    for (const { segment } of this.pending) segment.closeQuietly()
  }
}
