import type { RecordBatch } from '../record/record-batch.js'
import type { DecodedRecord } from '../record/record.js'
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
  batches(options: { from: number; to?: number; maxBytes?: number }): AsyncGenerator<RecordBatch>
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
    const found = await scanSegment(
      log,
      segments,
      slot,
      from,
      (batch) => batch.maxTimestamp >= timestamp,
      (record) => record.timestamp >= timestamp,
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
  const found = await scanSegment(
    log,
    segments,
    best,
    from,
    (batch) => batch.maxTimestamp >= target,
    (record) => record.timestamp === target,
  )
  return found !== null && found.offset < log.highWatermark ? found : null
}

/**
 * Scans segment `slot` from the batch holding `from` for the first record matching, decoding only
 * batches whose max timestamp could hold it.
 */
async function scanSegment(
  log: TimestampSource,
  segments: readonly Segment[],
  slot: number,
  from: number,
  /** Batch-level filter from the header's max timestamp, so most batches are not decoded. */
  batchMayMatch: (batch: RecordBatch) => boolean,
  matches: (record: DecodedRecord) => boolean,
): Promise<TimestampLookup | null> {
  const start = Math.max(from, log.logStartOffset)
  const end = segments[slot + 1]?.baseOffset ?? log.logEndOffset
  if (start >= end) return null
  // Small reads: the record sought is almost always in the first batch or two.
  for await (const batch of log.batches({ from: start, to: end, maxBytes: 1 })) {
    if (batch.isControl || !batchMayMatch(batch)) continue
    for (const record of batch.records()) {
      if (record.offset >= log.logStartOffset && matches(record)) return { offset: record.offset, timestamp: record.timestamp }
    }
  }
  return null
}
