import { InvalidArgumentError } from '../errors.js'
import { RecordBatch } from '../record/record-batch.js'
import { assignBaseOffset } from '../record/batch-encoder.js'
import type { Clock } from './clock.js'
import type { LogFileSystem } from './file-system.js'
import type { GroupCommit } from './group-commit.js'
import type { AppendInfo, PartitionLogConfig } from './partition-types.js'
import { takeSnapshot, type ProducerState } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import { Segment, type BatchMeta } from './segment.js'
import type { LeaderEpochCache } from './leader-epoch-cache.js'
import { isCompacted } from './cleaner/compaction-config.js'
import { checkKeyedRecords } from './cleaner/keyed-records.js'
import { indexAppended, writeKeyIndexOnRoll } from './key-index.js'

/**
 * The write path of a partition log, run one append at a time in the log's queue: the
 * idempotent-producer check, offset assignment, the roll, the write. What makes an append
 * durable is the group commit's business.
 */
export interface AppendTarget {
  readonly list: SegmentList
  readonly dir: string
  readonly config: PartitionLogConfig
  readonly clock: Clock
  readonly fileSystem: LogFileSystem
  readonly producerState: ProducerState
  readonly groupCommit: GroupCommit
  /** Leader epochs: its latest epoch is stamped into batches given offsets here; batches' epochs extend it. */
  readonly epochs?: LeaderEpochCache
}

/**
 * Appends whole batches: with `assignOffsets` they get offsets from the log end, stamped in place;
 * without, their own offsets must not go below it. A retry of one of an idempotent producer's
 * recent batches is answered with its first offsets and nothing is written.
 */
export async function appendBatches(log: AppendTarget, batches: Buffer[], assignOffsets: boolean): Promise<AppendInfo> {
  const { list, config, producerState } = log
  const metas: BatchMeta[] = []
  const views: RecordBatch[] = []
  let nextOffset = list.logEndOffset
  let totalBytes = 0
  let maxTimestamp = -1
  for (const batch of batches) {
    if (batch.length > config.maxBatchBytes)
      throw new InvalidArgumentError(`batch of ${batch.length} bytes exceeds maxBatchBytes ${config.maxBatchBytes}`)
    const view = new RecordBatch(batch)
    if (isCompacted(config)) checkKeyedRecords(view)
    const duplicate = producerState.checkBatch(view)
    if (duplicate !== null) {
      if (batches.length > 1) throw new InvalidArgumentError('a retried (duplicate) batch must be appended on its own')
      return {
        baseOffset: duplicate.baseOffset,
        lastOffset: duplicate.lastOffset,
        maxTimestamp: duplicate.maxTimestamp,
        size: 0,
        isDuplicate: true,
      }
    }
    const lastOffsetDelta = view.lastOffsetDelta
    if (assignOffsets) {
      assignBaseOffset(batch, nextOffset, log.epochs?.stampEpoch)
    } else if (view.baseOffset < nextOffset) {
      throw new InvalidArgumentError(`batch base offset ${view.baseOffset} is below the log end offset ${nextOffset}`)
    }
    const baseOffset = assignOffsets ? nextOffset : view.baseOffset
    const meta = { baseOffset, lastOffset: baseOffset + lastOffsetDelta, maxTimestamp: view.maxTimestamp, size: batch.length }
    metas.push(meta)
    views.push(view)
    nextOffset = meta.lastOffset + 1
    totalBytes += batch.length
    if (meta.maxTimestamp > maxTimestamp) maxTimestamp = meta.maxTimestamp
  }
  const first = metas[0]!
  const last = metas[metas.length - 1]!
  const nowMs = log.clock.nowMs()
  if (list.active.shouldRoll(totalBytes, maxTimestamp, last.lastOffset, nowMs))
    roll(log, Math.max(first.baseOffset, list.logEndOffset), nowMs)
  try {
    await list.append(batches, metas)
  } catch (error) {
    // A failed write (ENOSPC, a short write) was cut back by the segment, so nothing partial is
    // visible and later appends may succeed once there is space. If the cut itself failed the
    // segment says so and the partition stops taking writes.
    if (list.active.hasUncutTail) log.groupCommit.fail(error as Error)
    throw error
  }
  if (config.keyIndex === true) indexAppended(list.active, views, metas, log.fileSystem)
  for (let slot = 0; slot < views.length; slot++)
    producerState.recordBatch(views[slot]!, metas[slot]!.baseOffset, metas[slot]!.lastOffset, metas[slot]!.maxTimestamp)
  if (log.epochs !== undefined) for (const view of views) log.epochs.onBatch(view)
  return { baseOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp, size: totalBytes }
}

/**
 * Seals the active segment and starts a new one at `baseOffset`. Nothing is fsynced here: the
 * group commit makes the sealed segment, the new directory entry and the producer snapshot
 * durable in the background, as Kafka flushes a rolled segment from its scheduler.
 */
export function roll(log: AppendTarget, baseOffset: number, nowMs: number): void {
  const { list, producerState } = log
  writeKeyIndexOnRoll(list.active, log.fileSystem)
  list.active.seal()
  list.addSegment(Segment.create(log.dir, baseOffset, log.config, nowMs, log.fileSystem))
  const snapshot = producerState.size > 0 ? takeSnapshot(producerState, nowMs) : null
  log.groupCommit.afterRoll(baseOffset, snapshot)
}
