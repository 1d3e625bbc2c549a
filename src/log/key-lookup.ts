import { InvalidArgumentError } from '../errors.js'
import type { RecordBatch } from '../record/record-batch.js'
import type { DecodedRecord } from '../record/record.js'
import type { KeyIndexContext } from './key-index.js'
import { lookupInSegment, type SegmentKeyQuery } from './key-index-lookup.js'
import type { Segment } from './segment.js'

export interface KeyLookupOptions {
  /** Only records stamped at or after this time (ms). */
  fromTimestamp?: number
  /** Only records stamped before this time (ms, exclusive). */
  toTimestamp?: number
  /** At most this many records: the newest ones. */
  limit?: number
}

/** What a lookup reads: the partition's segments and its decoded batches. */
export interface KeyLookupSource {
  readonly segmentList: readonly Segment[]
  readonly logStartOffset: number
  readonly highWatermark: number
  batches(options: { from: number; to?: number }): AsyncGenerator<RecordBatch>
}

/**
 * The records of `key` in a partition, newest first (descending offset), compared by key bytes.
 * It scans: every segment from the newest back, skipping segments wholly outside the time range
 * (by their largest timestamp), until `limit` records are found. Its cost is a read of the
 * partition, so it suits occasional questions ("where are this key's records?"), not a hot path.
 * With `keyIndex` (topics with keyIndex: true) each segment is searched through its key index
 * instead (key-index.ts): a few reads per segment holding the key.
 */
export async function lookupKey(
  source: KeyLookupSource,
  key: Buffer,
  options: KeyLookupOptions = {},
  keyIndex: KeyIndexContext | null = null,
): Promise<DecodedRecord[]> {
  if (!Buffer.isBuffer(key)) throw new InvalidArgumentError('lookupKey: key must be a Buffer')
  const fromTimestamp = options.fromTimestamp ?? -Infinity
  const toTimestamp = options.toTimestamp ?? Infinity
  const limit = options.limit ?? Infinity
  if (!(limit >= 1)) throw new InvalidArgumentError(`lookupKey: limit must be at least 1, got ${String(options.limit)}`)
  const found: DecodedRecord[] = []
  const segments = source.segmentList.slice()
  const bound = source.highWatermark
  for (let slot = segments.length - 1; slot >= 0 && found.length < limit; slot--) {
    const segment = segments[slot]!
    const from = Math.max(segment.baseOffset, source.logStartOffset)
    const to = Math.min(segments[slot + 1]?.baseOffset ?? bound, bound)
    if (from >= to || segment.isRetired) continue
    if (fromTimestamp > -Infinity && segment.largestTimestamp < fromTimestamp && segment.largestTimestamp >= 0) continue
    const query = { key, from, to, fromTimestamp, toTimestamp, limit }
    if (keyIndex && (await lookupIndexed(segment, slot === segments.length - 1, query, keyIndex, found))) continue
    const inSegment: DecodedRecord[] = []
    for await (const batch of source.batches({ from, to })) {
      if (batch.isControl || batch.maxTimestamp < fromTimestamp) continue
      for (const record of batch.records()) {
        if (record.offset < from || record.offset >= to) continue
        if (record.timestamp < fromTimestamp || record.timestamp >= toTimestamp) continue
        if (record.key !== null && record.key.equals(key)) inSegment.push(record)
      }
    }
    for (let at = inSegment.length - 1; at >= 0 && found.length < limit; at--) found.push(inSegment[at]!)
  }
  return found
}

/** Adds the segment's matching records to `found` through its key index; false when it was retired meanwhile (scanned instead). */
async function lookupIndexed(
  segment: Segment,
  isActive: boolean,
  query: SegmentKeyQuery,
  context: KeyIndexContext,
  found: DecodedRecord[],
): Promise<boolean> {
  if (!segment.acquire()) return false
  try {
    await lookupInSegment(segment, isActive, query, context, found)
    return true
  } finally {
    segment.release()
  }
}
