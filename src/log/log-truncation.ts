import type { Clock } from './clock.js'
import { OffsetOutOfRangeError } from './errors.js'
import { fsyncDirSync } from './file-io.js'
import type { LogFileSystem } from './file-system.js'
import type { GroupCommit } from './group-commit.js'
import type { PartitionLogConfig } from './partition-types.js'
import type { SegmentList } from './segment-list.js'
import { Segment, type BatchLocation } from './segment.js'
import type { TruncationGate } from './truncation-gate.js'
import { dropKeyIndex } from './key-index.js'

/** What a truncation removes: the segments from `keep` on, and in the last kept one the batches from `cut` on. */
interface TruncationPlan {
  keep: number
  cut: BatchLocation | null
}

export interface TruncationTarget {
  readonly list: SegmentList
  readonly dir: string
  /** `topic-partition`, for errors. */
  readonly name: string
  readonly config: PartitionLogConfig
  readonly clock: Clock
  readonly fileSystem: LogFileSystem
  readonly groupCommit: GroupCommit
  readonly truncation: TruncationGate
  /** Producer state follows the records that are left. */
  rebuildProducerState(): Promise<void>
}

/**
 * PartitionLog.truncateTo, run in the log's queue with `offset` below the log end: reads wait for
 * it or start again (the truncation gate), no fsync round runs meanwhile, and a wait for records
 * it removes before they were fsynced is refused. A failure after files were changed stops the
 * partition taking writes.
 */
export async function truncateLog(log: TruncationTarget, offset: number): Promise<void> {
  const { list, groupCommit } = log
  try {
    await log.truncation.truncate(async () => {
      // A round already running is let finish; none starts until the truncation ends.
      await groupCommit.idle()
      const plan = planTruncation(list, offset)
      try {
        applyTruncation(log, offset, plan)
        await log.rebuildProducerState()
      } catch (error) {
        groupCommit.fail(error as Error)
        throw error
      }
    })
  } finally {
    const where = `${log.name} waitDurable (a truncation removed records below it before they were fsynced)`
    groupCommit.settleAfterTruncation((waited) => new OffsetOutOfRangeError(waited, list.logStartOffset, list.logEndOffset, where))
  }
}

/** Finds what a truncation to `offset` removes, reading only. */
function planTruncation(list: SegmentList, offset: number): TruncationPlan {
  const first = list.all[0]!
  if (offset < first.baseOffset) return { keep: 0, cut: null }
  // To the first segment's base: that segment is emptied rather than replaced, so a crash part way
  // never leaves a directory without segments (which would reopen at the checkpointed log start,
  // or 0 when the log start was the first base and so had no checkpoint entry).
  if (offset === first.baseOffset) return { keep: 1, cut: first.findBatch(offset) }
  // Segments whose base offset is below `offset` stay; the last of them is cut.
  const keep = list.slotFor(offset - 1) + 1
  return { keep, cut: list.all[keep - 1]!.findBatch(offset) }
}

function deleteNewestFirst(segments: readonly Segment[]): void {
  for (let slot = segments.length - 1; slot >= 0; slot--) segments[slot]!.deleteFiles()
}

/**
 * Carries out a truncation plan. Synchronous, so no read, append or fsync round sees it half
 * done; reads already in flight hold their segments and start again when they end.
 */
function applyTruncation(log: TruncationTarget, offset: number, plan: TruncationPlan): void {
  const { list } = log
  // Newest first: a crash part way then leaves a prefix of the segments, never a hole that would
  // bring back records being removed behind a log start that skips records nothing deleted.
  if (plan.keep === 0) {
    // The new segment may take the first one's name, so the old files go first.
    deleteNewestFirst(list.all)
    list.replaceAll(Segment.create(log.dir, offset, log.config, log.clock.nowMs(), log.fileSystem))
  } else {
    deleteNewestFirst(list.removeNewest(plan.keep))
    if (plan.cut !== null) dropKeyIndex(list.active, log.fileSystem)
    if (plan.cut !== null) list.cutActive(plan.cut)
  }
  fsyncDirSync(log.dir, log.fileSystem)
}
