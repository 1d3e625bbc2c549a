import { InvalidArgumentError } from '../errors.js'
import { RecordBatch } from '../record/record-batch.js'
import { assignBaseOffset } from '../record/batch-encoder.js'
import { isCompacted } from './cleaner/compaction-config.js'
import { checkKeyedRecords } from './cleaner/keyed-records.js'
import { indexAppended } from './key-index.js'
import { appendBatches, roll, type AppendTarget } from './log-appender.js'
import type { AppendInfo } from './partition-types.js'
import type { BatchMeta, Segment } from './segment.js'

/**
 * Writing a group of single-batch appends (append-coalescer.ts) in one queue turn: each append
 * keeps its own batch, its own offsets and its own checks, so a refused one (too large, a bad key
 * on a compacted topic, an idempotent producer's sequence or epoch error) fails alone; the
 * accepted ones go to the file in as few writevs as the roll rules allow, usually one. A write
 * that fails fails every append it carried. Offsets follow call order.
 *
 * A run (the batches of one writev) ends early where appending them one at a time could have
 * differed: before a batch that would roll the segment, before a second batch of the same
 * idempotent producer (its check must see the first one recorded), after a batch carrying a new
 * leader epoch (later batches are stamped with it), and in a segment still empty or with its
 * indexes nearly full, where the roll check needs the bytes already written.
 */

/** One append waiting in a group: its batch, and where its outcome goes. */
export interface GroupedAppend {
  readonly batch: Buffer
  /** Set once its batch is in the file (or found to be a duplicate). */
  info: AppendInfo | null
  reject(error: Error): void
}

/** The batches of one writev being gathered. */
class Run {
  readonly members: GroupedAppend[] = []
  readonly batches: Buffer[] = []
  readonly metas: BatchMeta[] = []
  readonly views: RecordBatch[] = []
  /** Idempotent producers with a batch in this run. */
  readonly producers = new Set<number>()
  /** A batch here carries a leader epoch newer than the log knows: later batches are stamped with it once written. */
  startsEpoch = false
  bytes = 0

  get isEmpty(): boolean {
    return this.members.length === 0
  }

  /** Whether the run must be written before `view` is checked and stamped (see the file comment). */
  mustPrecede(view: RecordBatch): boolean {
    return this.startsEpoch || (view.producerId >= 0 && this.producers.has(view.producerId))
  }

  add(member: GroupedAppend, view: RecordBatch, meta: BatchMeta, startsEpoch: boolean): void {
    this.members.push(member)
    this.batches.push(member.batch)
    this.metas.push(meta)
    this.views.push(view)
    if (view.producerId >= 0) this.producers.add(view.producerId)
    this.bytes += meta.size
    if (startsEpoch) this.startsEpoch = true
  }

  clear(): void {
    this.members.length = 0
    this.batches.length = 0
    this.metas.length = 0
    this.views.length = 0
    this.producers.clear()
    this.startsEpoch = false
    this.bytes = 0
  }
}

/**
 * Appends each member's batch with offsets from the log end, in order. A member ends with `info`
 * set, or rejected. Never throws: every failure belongs to the members it concerns.
 */
export function appendGroup(log: AppendTarget, members: readonly GroupedAppend[]): Promise<void> {
  // A lone appender's group: the plain path, without a run's bookkeeping.
  return members.length === 1 ? appendAlone(log, members[0]!) : appendInRuns(log, members)
}

function appendAlone(log: AppendTarget, member: GroupedAppend): Promise<void> {
  return appendBatches(log, [member.batch], true).then(
    (info) => {
      member.info = info
    },
    (error: unknown) => member.reject(error as Error),
  )
}

async function appendInRuns(log: AppendTarget, members: readonly GroupedAppend[]): Promise<void> {
  const { list, config, producerState } = log
  const run = new Run()
  const nowMs = log.clock.nowMs()
  for (const member of members) {
    const { batch } = member
    let view: RecordBatch
    try {
      if (batch.length > config.maxBatchBytes)
        throw new InvalidArgumentError(`batch of ${batch.length} bytes exceeds maxBatchBytes ${config.maxBatchBytes}`)
      view = new RecordBatch(batch)
      if (isCompacted(config)) checkKeyedRecords(view)
      if (run.mustPrecede(view)) await writeRun(log, run)
      const duplicate = producerState.checkBatch(view)
      if (duplicate !== null) {
        const { baseOffset, lastOffset, maxTimestamp } = duplicate
        member.info = { baseOffset, lastOffset, maxTimestamp, size: 0, isDuplicate: true }
        continue
      }
    } catch (error) {
      member.reject(error as Error)
      continue
    }
    const baseOffset = list.logEndOffset + runRecords(run)
    const meta = { baseOffset, lastOffset: baseOffset + view.lastOffsetDelta, maxTimestamp: view.maxTimestamp, size: batch.length }
    if (!run.isEmpty && !canJoinRun(list.active, run, meta, nowMs)) await writeRun(log, run)
    if (run.isEmpty) {
      // Offsets as they will be after the run just written (or a failed one that left nothing).
      meta.baseOffset = list.logEndOffset
      meta.lastOffset = meta.baseOffset + view.lastOffsetDelta
      try {
        if (list.active.shouldRoll(meta.size, meta.maxTimestamp, meta.lastOffset, nowMs)) roll(log, meta.baseOffset, nowMs)
      } catch (error) {
        // A roll that could not create its segment fails this append; the next one tries again.
        member.reject(error as Error)
        continue
      }
    }
    const { epochs } = log
    assignBaseOffset(batch, meta.baseOffset, epochs?.stampEpoch)
    run.add(member, view, meta, epochs !== undefined && view.partitionLeaderEpoch > epochs.latestEpoch)
  }
  await writeRun(log, run)
}

/** Records the run holds: the next batch's offsets start this far past the log end. */
function runRecords(run: Run): number {
  const { metas } = run
  return metas.length === 0 ? 0 : metas[metas.length - 1]!.lastOffset + 1 - metas[0]!.baseOffset
}

/**
 * Whether `meta` may go into the same writev as `run`: the roll check sees what it would see had
 * the run been written first. It needs a segment that already has bytes (an empty one takes the
 * first batch whatever its size) and index room for an entry per batch.
 */
function canJoinRun(active: Segment, run: Run, meta: BatchMeta, nowMs: number): boolean {
  if (active.size === 0) return false
  const room = run.members.length + 1
  if (active.offsetIndex.maxEntries - active.offsetIndex.entries <= room) return false
  if (active.timeIndex.maxEntries - active.timeIndex.entries <= room) return false
  return !active.shouldRoll(run.bytes + meta.size, meta.maxTimestamp, meta.lastOffset, nowMs)
}

/** Writes the run in one writev, records what it wrote, and empties it. */
async function writeRun(log: AppendTarget, run: Run): Promise<void> {
  if (run.isEmpty) return
  const { list, producerState } = log
  const { members, views, metas } = run
  try {
    // The partition may have stopped taking writes after an earlier run of this group.
    if (log.groupCommit.failure !== null) throw log.groupCommit.failedError()
    await list.append(run.batches, metas)
  } catch (error) {
    // As in appendBatches: a failed write was cut back; if the cut failed too, the partition stops.
    if (list.active.hasUncutTail) log.groupCommit.fail(error as Error)
    for (const member of members) member.reject(error as Error)
    run.clear()
    return
  }
  if (log.config.keyIndex === true) indexAppended(list.active, views, metas, log.fileSystem)
  for (let slot = 0; slot < members.length; slot++) {
    const view = views[slot]!
    const meta = metas[slot]!
    producerState.recordBatch(view, meta.baseOffset, meta.lastOffset, meta.maxTimestamp)
    log.epochs?.onBatch(view)
    // The meta has exactly an AppendInfo's fields and nothing keeps it: it is the answer.
    members[slot]!.info = meta
  }
  run.clear()
}
