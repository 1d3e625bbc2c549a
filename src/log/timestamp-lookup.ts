import { RecordView, visitRecords } from '../record/batch-visitor.js'
import type { RecordBatch } from '../record/record-batch.js'
import type { TimestampLookup } from './partition-types.js'
import type { Segment } from './segment.js'

/**
 * Kafka's ListOffsets by timestamp over a partition's segments: the time index narrows the search
 * to a segment and a starting batch, then batches are read forward. Correct with out-of-order
 * timestamps, because the time index records a running maximum. Retired segments (deleted or
 * truncated away while the lookup runs) are passed over: their records are gone.
 */

/** What a lookup needs of the partition log. */
export interface TimestampSource {
  readonly segmentList: readonly Segment[]
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly highWatermark: number
}

/** The first record (in offset order) whose timestamp is >= `timestamp`, below the high watermark. */
export async function findOffsetForTimestamp(log: TimestampSource, timestamp: number): Promise<TimestampLookup | null> {
  const bound = log.highWatermark
  const segments = log.segmentList
  for (let slot = 0; slot < segments.length; slot++) {
    const segment = segments[slot]!
    if (segment.isRetired || segment.largestTimestamp < timestamp) continue
    const floor = segment.timeIndex.lookup(timestamp)
    const from = segment.offsetIndex.lookup(Math.max(floor.offset, log.logStartOffset)).offset
    const found = scanSegment(
      log,
      segments,
      slot,
      from,
      (maxTimestamp) => maxTimestamp >= timestamp,
      (recordTimestamp) => recordTimestamp >= timestamp,
    )
    if (found === null) continue
    return found.offset < bound ? found : null
  }
  return null
}

/** The record with the largest timestamp (the first one carrying it), below the high watermark. */
export async function findMaxTimestampOffset(log: TimestampSource): Promise<TimestampLookup | null> {
  const segments = log.segmentList
  let best = -1
  for (let slot = 0; slot < segments.length; slot++) {
    const segment = segments[slot]!
    if (segment.isRetired || segment.largestTimestamp < 0) continue
    if (best < 0 || segment.largestTimestamp > segments[best]!.largestTimestamp) best = slot
  }
  if (best < 0) return null
  const segment = segments[best]!
  const target = segment.largestTimestamp
  // The time index names the last offset of the batch that set the maximum: start in that batch.
  const from = Math.max(segment.offsetOfMaxTimestampSoFar, segment.baseOffset)
  const found = scanSegment(
    log,
    segments,
    best,
    from,
    (maxTimestamp) => maxTimestamp >= target,
    (recordTimestamp) => recordTimestamp === target,
  )
  return found !== null && found.offset < log.highWatermark ? found : null
}

/**
 * Scans segment `slot` from the batch holding `from` for the first record matching. Only batch
 * headers are read until one's max timestamp could hold a match; that batch alone is read (into a
 * buffer every lookup shares, since only numbers are kept) and its records visited. Synchronous
 * once the segment is held, so nothing can change the segment in the middle of it. A segment
 * retired meanwhile is passed over (null), as its records are gone.
 */
function scanSegment(
  log: TimestampSource,
  segments: readonly Segment[],
  slot: number,
  from: number,
  /** Batch-level filter from the header's max timestamp, so most batches are not read. */
  batchMayMatch: (maxTimestamp: number) => boolean,
  matches: (recordTimestamp: number) => boolean,
): TimestampLookup | null {
  const start = Math.max(from, log.logStartOffset)
  const end = Math.min(segments[slot + 1]?.baseOffset ?? log.logEndOffset, log.highWatermark)
  if (start >= end) return null
  const segment = segments[slot]!
  if (!segment.acquire()) return null
  try {
    const first = segment.findBatch(start)
    if (first === null) return null
    const walk = segment.walkHeaders(first.position)
    while (walk.next()) {
      const { baseOffset, lastOffset } = walk
      // As readRaw: no batch reaching the bound (the high watermark) is read.
      if (lastOffset >= end) return null
      if (!batchMayMatch(walk.maxTimestamp())) continue
      const batch = segment.readBatchSync({ position: walk.position, size: walk.size, baseOffset, lastOffset })
      if (batch.isControl) continue
      const found = firstMatch(batch, log.logStartOffset, matches)
      if (found !== null) return found
    }
    return null
  } finally {
    segment.release()
  }
}

/** Lookups are synchronous from the batch read on, so one view serves them all. */
const view = new RecordView()

/**
 * The first record of `batch` at or above `logStartOffset` whose timestamp matches. Records are
 * visited as positions in the batch (visitRecords), not decoded into objects: a lookup passes
 * over half a batch of records on average, and objects for them were most of its time and all of
 * its garbage.
 */
function firstMatch(batch: RecordBatch, logStartOffset: number, matches: (recordTimestamp: number) => boolean): TimestampLookup | null {
  let found: TimestampLookup | null = null
  visitRecords(
    batch,
    (record) => {
      if (record.offset < logStartOffset || !matches(record.timestamp)) return true
      found = { offset: record.offset, timestamp: record.timestamp }
      return false
    },
    undefined,
    view,
  )
  return found
}
