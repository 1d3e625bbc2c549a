import { visitRecords, RecordView } from '../record/batch-visitor.js'
import type { DecodedRecord, RecordHeader } from '../record/record.js'
import { keyIndexOf, type KeyIndexContext } from './key-index.js'
import type { Segment } from './segment.js'

/** What one segment is asked: the key, its offsets range [from, to), its time range [fromTimestamp, toTimestamp), how many in all. */
export interface SegmentKeyQuery {
  key: Buffer
  from: number
  to: number
  fromTimestamp: number
  toTimestamp: number
  limit: number
}

/**
 * Reads the records a key index points at: per batch, the candidate offsets (ascending), the
 * batch read once from the segment's shared read buffer, its records visited in place through one
 * RecordView, and only a record whose offset, key bytes and timestamp all match copied out.
 */
class CandidateReader {
  private readonly view = new RecordView()
  /** Candidate offsets of the batch being read, ascending; `next` is the first not yet passed. */
  private wanted: number[] = []
  private next = 0
  private query: SegmentKeyQuery | null = null
  readonly matches: DecodedRecord[] = []
  private readonly visit = (record: RecordView): boolean => {
    const wanted = this.wanted
    while (this.next < wanted.length && wanted[this.next]! < record.offset) this.next++
    if (this.next === wanted.length) return false // past the last candidate: stop decoding
    if (wanted[this.next] !== record.offset) return true
    const query = this.query!
    const key = query.key
    if (
      record.keyLength === key.length &&
      key.compare(record.buffer, record.keyStart, record.keyStart + record.keyLength) === 0 &&
      record.timestamp >= query.fromTimestamp &&
      record.timestamp < query.toTimestamp
    )
      this.matches.push(copyRecord(record, key))
    return true
  }

  /** The matching records among `wanted` (ascending offsets, all in `segment`), oldest first, into `matches`. */
  read(segment: Segment, wanted: number[], query: SegmentKeyQuery): void {
    this.matches.length = 0
    this.query = query
    this.wanted = wanted
    this.next = 0
    try {
      while (this.next < wanted.length) {
        const location = segment.findBatch(wanted[this.next]!)
        if (location === null) return
        const batch = segment.readBatchSync(location)
        if (!batch.isControl) visitRecords(batch, this.visit, undefined, this.view)
        // Candidates this batch did not hold (a stale entry) are passed; later ones get their own read.
        while (this.next < wanted.length && wanted[this.next]! <= location.lastOffset) this.next++
      }
    } finally {
      this.query = null
      this.view.buffer = NO_BYTES
    }
  }
}

const NO_BYTES = Buffer.alloc(0)
const reader = new CandidateReader()

/** A record out of the shared read buffer: key, value and header values copied. */
function copyRecord(record: RecordView, key: Buffer): DecodedRecord {
  const value = record.value()
  let headers: RecordHeader[] = []
  if (record.headerCount > 0) {
    headers = record.headers()
    for (const header of headers) if (header.value !== null) header.value = Buffer.from(header.value)
  }
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers,
  }
}

/**
 * Adds to `found` the records of `query.key` in `segment`, newest first, until `found` holds
 * `query.limit`: the index's chain for the key's hash is walked newest first, batch by batch, and
 * each batch holding candidates is read once. A colliding hash or a stale entry costs a read,
 * never a wrong record. The caller holds the segment.
 */
export async function lookupInSegment(
  segment: Segment,
  isActive: boolean,
  query: SegmentKeyQuery,
  context: KeyIndexContext,
  found: DecodedRecord[],
): Promise<void> {
  const { table } = await keyIndexOf(segment, isActive, context)
  const base = segment.baseOffset
  let slot = table.newestSlot(context.hash(query.key))
  while (slot >= 0 && found.length < query.limit) {
    // The chain runs newest first, so one batch's candidates are consecutive in it.
    const batchRelativeOffset = table.batchRelativeOffsets[slot]!
    const wanted: number[] = []
    for (; slot >= 0 && table.batchRelativeOffsets[slot] === batchRelativeOffset; slot = table.olderSlot(slot)) {
      const offset = base + table.relativeOffsets[slot]!
      if (offset >= query.from && offset < query.to) wanted.push(offset)
    }
    if (wanted.length === 0) continue
    reader.read(segment, wanted.reverse(), query)
    const matches = reader.matches
    for (let at = matches.length - 1; at >= 0 && found.length < query.limit; at--) found.push(matches[at]!)
  }
}
