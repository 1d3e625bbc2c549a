import { MAX_RELATIVE_OFFSET } from '../../format/index-entry.js'
import type { RecordBatch } from '../../record/record-batch.js'
import type { Clock } from '../clock.js'
import type { LogFileSystem } from '../file-system.js'
import type { SegmentRetention } from '../log-retention.js'
import type { ProducerState } from '../producer-state.js'
import type { SegmentList } from '../segment-list.js'
import type { Segment, SegmentConfig } from '../segment.js'
import { lastStableOffset } from '../transactions.js'
import type { AbortedTxnIndex } from '../txn-index.js'
import { filterBatch, type FilterContext } from './batch-filter.js'
import { CleanedSegment } from './cleaned-segment.js'
import { CleanedTransactions } from './cleaned-transactions.js'
import { cleanableEnd } from './dirty-range.js'
import { OffsetMap } from './offset-map.js'
import { segmentBatches, SegmentGoneError } from './segment-batches.js'
import { swapIn, type SwapStep } from './segment-swap.js'
import { Throttler } from './throttler.js'

/** What a cleaning pass needs of its partition log. */
export interface CompactionTarget {
  readonly list: SegmentList
  readonly dir: string
  readonly name: string
  readonly config: SegmentConfig & { segmentBytes: number }
  readonly clock: Clock
  readonly fileSystem: LogFileSystem
  readonly producerState: ProducerState
  /** The aborted transactions: their records go, and the cleaned segments' `.txnindex` keeps what stays. */
  readonly txnIndex: AbortedTxnIndex
  readonly retention: SegmentRetention
  /** Runs `task` in the log's write queue (no append, truncation or retention meanwhile). */
  exclusive<T>(task: () => T | Promise<T>): Promise<T>
}

export interface CompactionOptions {
  /** Where the last pass's map ended (the cleaner-offset-checkpoint entry); the log start when unknown. */
  firstDirtyOffset?: number
  /** Memory for the key → offset map (Kafka's log.cleaner.dedupe.buffer.size). Default 128 MiB. */
  dedupeBufferBytes?: number
  /** Read-and-write rate limit in bytes per second (Kafka's log.cleaner.io.max.bytes.per.second). */
  ioMaxBytesPerSecond?: number
  /** Tombstones stay this long after the pass that first reaches them. */
  deleteRetentionMs: number
  /** Records younger than this are not cleaned. */
  minCompactionLagMs: number
  /** Crash tests stop the process at a step of the swap. */
  onSwapStep?: (step: SwapStep) => void
}

/** What one pass did. */
export interface CompactionResult {
  /** The offset the next pass's map starts at (the new cleaner-offset-checkpoint entry). */
  firstDirtyOffset: number
  /** Whether the pass cleaned anything (false: nothing cleanable, or the log changed under it). */
  cleaned: boolean
  segmentsBefore: number
  segmentsAfter: number
  bytesRead: number
  bytesWritten: number
  recordsRemoved: number
  /** Keys in the map, and the map's memory. */
  mapEntries: number
  mapBytes: number
  /** Time slept by the throttle (ms). */
  throttledMs: number
}

export const DEFAULT_DEDUPE_BUFFER_BYTES = 128 * 1024 * 1024

/**
 * One cleaning pass over a partition, as Kafka's LogCleaner: the dirty section (from the last
 * pass's end to the cleanable end: never the active segment, nothing above the high watermark or
 * younger than the lag) is mapped key → last offset, as far as the map's memory allows; then every
 * segment from the first up to where the map ends is rewritten, in groups that fit one segment,
 * keeping what filterBatch keeps, and each group is swapped in (segment-swap.ts). Reads and
 * appends go on meanwhile; only the swaps take the log's write queue, briefly.
 */
export async function compactPartition(log: CompactionTarget, options: CompactionOptions): Promise<CompactionResult> {
  const nowMs = log.clock.nowMs()
  const throttler = new Throttler(options.ioMaxBytesPerSecond ?? Infinity)
  const segments = log.list.all.slice()
  const first = segments[0]!.baseOffset
  const start = Math.max(options.firstDirtyOffset ?? first, first)
  // Below the recovery point too: a cleaned segment may end short of the next one, which recovery
  // reads as a lost tail above the recovery point (log-loader.ts) but leaves alone below it. And
  // below the last stable offset: an open transaction's records are not known to be kept or not.
  const limit = Math.min(lastStableOffset(log), log.list.recoveryPoint)
  const end = cleanableEnd(segments, limit, nowMs, options.minCompactionLagMs)
  const result: CompactionResult = {
    firstDirtyOffset: Math.min(start, log.list.logEndOffset),
    cleaned: false,
    segmentsBefore: segments.length,
    segmentsAfter: segments.length,
    bytesRead: 0,
    bytesWritten: 0,
    recordsRemoved: 0,
    mapEntries: 0,
    mapBytes: 0,
    throttledMs: 0,
  }
  if (start >= end) return result
  const map = new OffsetMap(options.dedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES)
  result.mapBytes = map.memoryBytes
  const onChunk = async (bytes: number): Promise<void> => {
    result.bytesRead += bytes
    await throttler.take(bytes)
  }
  let mapEnd: number
  try {
    mapEnd = await buildOffsetMap(segments, start, end, map, new CleanedTransactions(log.txnIndex.collect(start, end)), onChunk)
  } catch (error) {
    if (error instanceof SegmentGoneError) return result
    throw error
  }
  result.mapEntries = map.size
  // One walk over every cleaned segment, in order, for all the groups (as Kafka's pass).
  const transactions = new CleanedTransactions(log.txnIndex.collect(first, end))
  const context: FilterContext = { map, mapEnd, nowMs, deleteRetentionMs: options.deleteRetentionMs, transactions }
  const lastOffsets = log.producerState.lastOffsets()
  const toClean = segments.filter((segment, slot) => slot < segments.length - 1 && segment.baseOffset < mapEnd)
  for (const group of groupSegments(toClean, segments, log.config.segmentBytes)) {
    const cleaned = CleanedSegment.create(log.dir, group[0]!.baseOffset, log.config, log.fileSystem)
    let isSwapped = false
    const write = async (batch: RecordBatch, isLastOfGroup: boolean): Promise<void> => {
      const mustKeep = isLastOfGroup || (batch.hasProducerId && lastOffsets.get(batch.producerId) === batch.lastOffset)
      const filtered = filterBatch(batch, context, mustKeep)
      result.recordsRemoved += filtered.recordsRemoved
      if (filtered.bytes === null) return
      await cleaned.append(filtered.bytes, batch.baseOffset, batch.lastOffset, batch.maxTimestamp)
      result.bytesWritten += filtered.bytes.length
      await throttler.take(filtered.bytes.length)
    }
    try {
      // One batch held back: the group's last batch always stays, so the cleaned file's offsets
      // reach the group's end and a swap completed by the next open replaces every old segment.
      let held: RecordBatch | null = null
      for (const segment of group) {
        const segmentEnd = segments[segments.indexOf(segment) + 1]!.baseOffset
        for await (const batch of segmentBatches(segment, segment.baseOffset, segmentEnd, onChunk)) {
          if (held !== null) await write(held, false)
          held = batch
        }
      }
      if (held !== null) await write(held, true)
      const keptAborts = transactions.takeRetained()
      await cleaned.finish(keptAborts)
      const groupEnd = segments[segments.indexOf(group[group.length - 1]!) + 1]!.baseOffset
      isSwapped = await log.exclusive(() => {
        const swapped = swapIn(log, group, cleaned, log.clock.nowMs(), options.onSwapStep)
        if (swapped) log.txnIndex.replaceEntries(cleaned.baseOffset, groupEnd, keptAborts)
        return swapped
      })
    } catch (error) {
      if (!(error instanceof SegmentGoneError)) throw error
    } finally {
      if (!isSwapped) cleaned.discard()
    }
    if (!isSwapped) {
      result.throttledMs = throttler.sleptMs
      return result
    }
    result.cleaned = true
  }
  result.firstDirtyOffset = mapEnd
  result.segmentsAfter = log.list.all.length
  result.throttledMs = throttler.sleptMs
  return result
}

/**
 * Maps key → offset of its last record over the dirty section [start, end), whole batches at a
 * time, until the next batch might not fit; returns where it stopped: `end`, or that batch's base
 * offset. A first batch with more records than the map holds is mapped as far as it fits and
 * counts as mapped (its other records then stay, like records below the dirty section), so a pass
 * always moves on. Records without keys, control batches and the records of aborted transactions
 * are not mapped (an aborted write must not make the key's committed record look superseded).
 */
async function buildOffsetMap(
  segments: readonly Segment[],
  start: number,
  end: number,
  map: OffsetMap,
  transactions: CleanedTransactions,
  onChunk: (bytes: number) => Promise<void>,
): Promise<number> {
  for (let slot = 0; slot < segments.length - 1; slot++) {
    const segment = segments[slot]!
    const segmentEnd = Math.min(segments[slot + 1]!.baseOffset, end)
    if (segmentEnd <= start) continue
    if (segment.baseOffset >= end) break
    for await (const batch of segmentBatches(segment, start, segmentEnd, onChunk)) {
      if (batch.isControl) {
        transactions.onControlBatch(batch)
        continue
      }
      if (transactions.onDataBatch(batch)) continue
      if (batch.recordCount > map.room && map.size > 0) return Math.max(batch.baseOffset, start)
      for (const record of batch.records()) {
        if (record.offset >= start && record.key !== null) map.put(record.key, record.offset)
      }
    }
  }
  return end
}

/**
 * Consecutive segments in groups whose sizes add up to at most `segmentBytes` and whose offsets
 * fit a segment's 32-bit relative offsets (Kafka's groupSegmentsBySize).
 */
export function groupSegments(toClean: readonly Segment[], all: readonly Segment[], segmentBytes: number): Segment[][] {
  const groups: Segment[][] = []
  let group: Segment[] = []
  let groupBytes = 0
  for (const segment of toClean) {
    const next = all[all.indexOf(segment) + 1]!.baseOffset
    const fits = group.length > 0 && groupBytes + segment.size <= segmentBytes && next - 1 - group[0]!.baseOffset <= MAX_RELATIVE_OFFSET
    if (group.length > 0 && !fits) {
      groups.push(group)
      group = []
      groupBytes = 0
    }
    group.push(segment)
    groupBytes += segment.size
  }
  if (group.length > 0) groups.push(group)
  return groups
}
