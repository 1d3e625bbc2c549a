import path from 'node:path'
import {
  countEntries,
  isOffsetEntryAscending,
  OFFSET_ENTRY_SIZE,
  readOffsetEntryPosition,
  readOffsetEntryRelativeOffset,
  readTimeEntryRelativeOffset,
  readTimeEntryTimestamp,
  TIME_ENTRY_SIZE,
} from '../../format/index-entry.js'
import { CorruptIndexError } from '../../log/errors.js'
import { OffsetIndex } from '../../log/offset-index.js'
import { TimeIndex } from '../../log/time-index.js'

/**
 * Checks a segment's `.index` and `.timeindex` against its `.log`. This is the one piece of code
 * behind `seglog dump` of index files (which, like Kafka's DumpLogSegments, always compares the
 * entries with the log and prints the mismatches), `seglog dump --verify-index-only` and
 * `seglog verify`. It never opens a file: the caller reads the index bytes, scans the log once
 * (feeding every batch to an IndexProbe) and renders the findings, as Kafka-shaped stderr blocks
 * (dump) or one line per problem (verify).
 *
 * What an entry must say, given how seglog writes them (see src/log/segment.ts indexBatch):
 *
 * - offset index (offset O, position P): the batch that starts at byte P of the log ends at
 *   offset O (Kafka's --verify-index-only check). Entries ascend in both columns.
 * - time index (timestamp T, offset O): the entry holds the running maximum timestamp and the last
 *   offset of the batch that first reached it, so the batch ending at offset O has max timestamp
 *   T. Timestamps strictly ascend; offsets never descend.
 *
 * Entries are decoded here from the raw bytes rather than through OffsetIndex/TimeIndex, whose
 * loaders reject a non-ascending file outright: a dump must still show what a broken index holds.
 * The sanity check (`sanityCheckIndex`) does go through the log layer, so it says exactly what the
 * engine would say before trusting the file.
 */

export interface OffsetIndexEntry {
  offset: number
  position: number
}

export interface TimeIndexEntry {
  timestamp: number
  offset: number
}

export type IndexKind = 'offset' | 'time'

export const ENTRY_SIZE: Readonly<Record<IndexKind, number>> = { offset: OFFSET_ENTRY_SIZE, time: TIME_ENTRY_SIZE }

export interface DecodedIndex<E> {
  entries: E[]
  /**
   * Entries to list and check: Kafka stops at the first entry after slot 0 that repeats the base
   * offset, the zero-filled tail of a preallocated index. Equal to `entries.length` otherwise.
   */
  listedCount: number
  /** Bytes of a partial entry at the end (the size is not a multiple of the entry size). */
  partialBytes: number
}

export function decodeOffsetIndex(bytes: Buffer, baseOffset: number): DecodedIndex<OffsetIndexEntry> {
  const { count, partialBytes } = countEntries(bytes.length, OFFSET_ENTRY_SIZE)
  const entries: OffsetIndexEntry[] = []
  for (let slot = 0; slot < count; slot++) {
    entries.push({ offset: baseOffset + readOffsetEntryRelativeOffset(bytes, slot), position: readOffsetEntryPosition(bytes, slot) })
  }
  return { entries, listedCount: listedCount(entries, baseOffset), partialBytes }
}

export function decodeTimeIndex(bytes: Buffer, baseOffset: number): DecodedIndex<TimeIndexEntry> {
  const { count, partialBytes } = countEntries(bytes.length, TIME_ENTRY_SIZE)
  const entries: TimeIndexEntry[] = []
  for (let slot = 0; slot < count; slot++) {
    // Beyond 2^53 the timestamp is approximate; such an entry is garbage and fails the checks anyway.
    entries.push({ timestamp: readTimeEntryTimestamp(bytes, slot), offset: baseOffset + readTimeEntryRelativeOffset(bytes, slot) })
  }
  return { entries, listedCount: listedCount(entries, baseOffset), partialBytes }
}

function listedCount(entries: readonly { offset: number }[], baseOffset: number): number {
  for (let slot = 1; slot < entries.length; slot++) if (entries[slot]!.offset === baseOffset) return slot
  return entries.length
}

/** The batch a time-index entry's offset falls into, as the scan found it. */
interface BatchEnd {
  lastOffset: number
  maxTimestamp: number
}

/**
 * What the index checks need to know about the log, gathered while the log is scanned once. It
 * remembers only the batches the entries name: the batch starting at each offset-index position,
 * and for each time-index offset the first batch whose last offset reaches it (Kafka's lookup).
 * Feed it every batch in file order with `observe`.
 */
export class IndexProbe {
  private readonly positionsWanted: Set<number>
  private readonly lastOffsetAt = new Map<number, number>()
  /** Time-index offsets, ascending and unique; `cursor` is the first not yet reached by a batch. */
  private readonly offsetsWanted: number[]
  private cursor = 0
  private readonly batchEndFor = new Map<number, BatchEnd>()
  /** Bytes of whole batches the scan got through, and the log's size. */
  scannedBytes = 0
  logSize = 0

  constructor(offsetEntries: readonly OffsetIndexEntry[], timeEntries: readonly TimeIndexEntry[]) {
    this.positionsWanted = new Set(offsetEntries.map((entry) => entry.position))
    this.offsetsWanted = [...new Set(timeEntries.map((entry) => entry.offset))].sort((a, b) => a - b)
  }

  observe(position: number, lastOffset: number, maxTimestamp: number): void {
    if (this.positionsWanted.has(position)) this.lastOffsetAt.set(position, lastOffset)
    const wanted = this.offsetsWanted
    while (this.cursor < wanted.length && wanted[this.cursor]! <= lastOffset) {
      this.batchEndFor.set(wanted[this.cursor]!, { lastOffset, maxTimestamp })
      this.cursor++
    }
  }

  /** Last offset of the batch starting at `position`, or undefined if no batch starts there. */
  lastOffsetOfBatchAt(position: number): number | undefined {
    return this.lastOffsetAt.get(position)
  }

  /** The first batch whose last offset is >= `offset`, or undefined if none is. */
  batchReaching(offset: number): BatchEnd | undefined {
    return this.batchEndFor.get(offset)
  }
}

/** One thing wrong with an index file, with the slot and byte position of the entry. */
export type IndexFinding =
  | { kind: 'offset-mismatch'; slot: number; indexOffset: number; position: number; logOffset: number | null }
  | { kind: 'not-ascending'; slot: number; entry: string; previous: string }
  | { kind: 'zero-tail'; slot: number; count: number }
  | { kind: 'partial-entry'; slot: number; bytes: number }
  | { kind: 'timestamp-mismatch'; slot: number; indexTimestamp: number; offset: number; logTimestamp: number }
  | { kind: 'timestamp-out-of-order'; slot: number; indexTimestamp: number; previousTimestamp: number }
  | { kind: 'offset-not-found'; slot: number; indexOffset: number; logOffset: number | null }
  | { kind: 'closing-entry'; slot: number; detail: string }

/** Checks offset-index entries against the scanned log. */
export function checkOffsetIndex(index: DecodedIndex<OffsetIndexEntry>, probe: IndexProbe): IndexFinding[] {
  const findings: IndexFinding[] = []
  const { entries, listedCount: count } = index
  for (let slot = 0; slot < count; slot++) {
    const entry = entries[slot]!
    const previous = entries[slot - 1]
    if (previous !== undefined && !isOffsetEntryAscending(entry.offset, entry.position, previous.offset, previous.position)) {
      findings.push({
        kind: 'not-ascending',
        slot,
        entry: `offset ${entry.offset}, position ${entry.position}`,
        previous: `offset ${previous.offset}, position ${previous.position}`,
      })
    }
    const logOffset = probe.lastOffsetOfBatchAt(entry.position)
    if (logOffset !== entry.offset)
      findings.push({ kind: 'offset-mismatch', slot, indexOffset: entry.offset, position: entry.position, logOffset: logOffset ?? null })
  }
  pushTail(findings, index)
  return findings
}

/** Checks time-index entries against the scanned log, as Kafka's dumpTimeIndex does. */
export function checkTimeIndex(index: DecodedIndex<TimeIndexEntry>, probe: IndexProbe): IndexFinding[] {
  const findings: IndexFinding[] = []
  const { entries, listedCount: count } = index
  for (let slot = 0; slot < count; slot++) {
    const entry = entries[slot]!
    const previous = entries[slot - 1]
    const batch = probe.batchReaching(entry.offset)
    if (batch === undefined || batch.lastOffset !== entry.offset) {
      findings.push({ kind: 'offset-not-found', slot, indexOffset: entry.offset, logOffset: batch?.lastOffset ?? null })
    } else if (batch.maxTimestamp !== entry.timestamp) {
      findings.push({
        kind: 'timestamp-mismatch',
        slot,
        indexTimestamp: entry.timestamp,
        offset: entry.offset,
        logTimestamp: batch.maxTimestamp,
      })
    }
    if (previous !== undefined && previous.timestamp >= entry.timestamp) {
      findings.push({ kind: 'timestamp-out-of-order', slot, indexTimestamp: entry.timestamp, previousTimestamp: previous.timestamp })
    }
    if (previous !== undefined && entry.offset < previous.offset) {
      findings.push({ kind: 'not-ascending', slot, entry: `offset ${entry.offset}`, previous: `offset ${previous.offset}` })
    }
  }
  pushTail(findings, index)
  return findings
}

/** What the bytes alone show, without the log: a zero-filled tail and a partial last entry. */
export function tailFindings(index: DecodedIndex<{ offset: number }>): IndexFinding[] {
  const findings: IndexFinding[] = []
  pushTail(findings, index)
  return findings
}

function pushTail(findings: IndexFinding[], index: DecodedIndex<{ offset: number }>): void {
  if (index.listedCount < index.entries.length) {
    findings.push({ kind: 'zero-tail', slot: index.listedCount, count: index.entries.length - index.listedCount })
  }
  if (index.partialBytes > 0) findings.push({ kind: 'partial-entry', slot: index.entries.length, bytes: index.partialBytes })
}

/**
 * A closed segment's last time-index entry must carry the segment's largest timestamp: seal and
 * recovery write it, and Kafka reads a closed segment's largest timestamp from it alone (retention,
 * time lookups). Checked by `seglog verify` for segments that are no longer written to.
 */
export function checkClosingTimeEntry(index: DecodedIndex<TimeIndexEntry>, segmentMaxTimestamp: number): IndexFinding[] {
  const count = index.listedCount
  const last = index.entries[count - 1]
  if (segmentMaxTimestamp < 0) return []
  if (last === undefined) {
    return [{ kind: 'closing-entry', slot: 0, detail: `has no entries, but the segment's largest timestamp is ${segmentMaxTimestamp}` }]
  }
  if (last.timestamp === segmentMaxTimestamp) return []
  return [
    {
      kind: 'closing-entry',
      slot: count - 1,
      detail: `last entry (timestamp ${last.timestamp}, offset ${last.offset}) is not the segment's largest timestamp ${segmentMaxTimestamp}`,
    },
  ]
}

/**
 * One line per finding for `seglog verify`: `<file> at byte <position>: <what is wrong>` (the
 * caller adds the `seglog: ` prefix). The probe's `logSize` and `scannedBytes` explain entries
 * pointing nowhere.
 */
export function describeFinding(file: string, kind: IndexKind, finding: IndexFinding, probe: IndexProbe | null): string {
  const at = `${file} at byte ${finding.slot * ENTRY_SIZE[kind]}`
  switch (finding.kind) {
    case 'offset-mismatch': {
      const entry = `entry ${finding.slot} (offset ${finding.indexOffset}, position ${finding.position})`
      if (finding.logOffset !== null)
        return `${at}: ${entry} names offset ${finding.indexOffset}, but the batch at byte ${finding.position} ends at offset ${finding.logOffset}`
      return `${at}: ${entry} ${whyNoBatch(finding.position, probe)}`
    }
    case 'not-ascending':
      return `${at}: entry ${finding.slot} (${finding.entry}) does not ascend from the entry before it (${finding.previous})`
    case 'zero-tail':
      return `${at}: entry ${finding.slot} and the ${finding.count - 1} after it repeat the base offset (a zero-filled tail, as a preallocated Kafka index has); they were not checked`
    case 'partial-entry':
      return `${at}: ${finding.bytes} bytes of a partial entry at the end (the size is not a multiple of ${ENTRY_SIZE[kind]})`
    case 'timestamp-mismatch':
      return `${at}: entry ${finding.slot} carries timestamp ${finding.indexTimestamp}, but the batch ending at offset ${finding.offset} has max timestamp ${finding.logTimestamp}`
    case 'timestamp-out-of-order':
      return `${at}: entry ${finding.slot} timestamp ${finding.indexTimestamp} is not above the previous entry's ${finding.previousTimestamp}`
    case 'offset-not-found':
      return finding.logOffset === null
        ? `${at}: entry ${finding.slot} offset ${finding.indexOffset} is past the last batch of the log`
        : `${at}: entry ${finding.slot} offset ${finding.indexOffset} is not the last offset of a batch (the batch holding it ends at offset ${finding.logOffset})`
    case 'closing-entry':
      return `${at}: ${finding.detail}; Kafka reads a closed segment's largest timestamp from this entry`
  }
}

function whyNoBatch(position: number, probe: IndexProbe | null): string {
  if (probe === null) return `points at byte ${position}, where no batch starts`
  if (position >= probe.logSize) return `points at byte ${position}, past the end of the ${probe.logSize}-byte log`
  if (position >= probe.scannedBytes)
    return `points at byte ${position}, after the last whole batch the log could be read to (byte ${probe.scannedBytes})`
  return `points at byte ${position}, where no batch starts`
}

/**
 * The findings as Kafka's DumpLogSegments prints them on stderr after the dump: one block per kind
 * (`Mismatches in :<abs path>` and so on), plus `seglog:`-style lines (returned separately) for
 * what Kafka has no shape for. Kafka lists offset mismatches newest first; these are in index order.
 */
export function kafkaFindingLines(
  file: string,
  kind: IndexKind,
  findings: readonly IndexFinding[],
  probe: IndexProbe | null,
): { blocks: string[]; problems: string[] } {
  const absolute = path.resolve(file)
  const offsetMismatches: string[] = []
  const timestampMismatches: string[] = []
  const outOfOrder: string[] = []
  const notFound: string[] = []
  const problems: string[] = []
  for (const finding of findings) {
    switch (finding.kind) {
      case 'offset-mismatch': {
        const note = finding.logOffset === null ? ` (${whyNoBatch(finding.position, probe).replace(/^points at/, 'no batch at')})` : ''
        offsetMismatches.push(`  Index offset: ${finding.indexOffset}, log offset: ${finding.logOffset ?? -1}${note}`)
        break
      }
      case 'timestamp-mismatch':
        timestampMismatches.push(`  Index timestamp: ${finding.indexTimestamp}, log timestamp: ${finding.logTimestamp}`)
        break
      case 'timestamp-out-of-order':
        outOfOrder.push(`  Index timestamp: ${finding.indexTimestamp}, Previously indexed timestamp: ${finding.previousTimestamp}`)
        break
      case 'offset-not-found':
        notFound.push(`Indexed offset: ${finding.indexOffset}, found log offset: ${finding.logOffset ?? -1}`)
        break
      default:
        problems.push(describeFinding(file, kind, finding, probe))
    }
  }
  const blocks: string[] = []
  if (offsetMismatches.length > 0) blocks.push(`Mismatches in :${absolute}`, ...offsetMismatches)
  if (timestampMismatches.length > 0) blocks.push(`Found timestamp mismatch in :${absolute}`, ...timestampMismatches)
  if (outOfOrder.length > 0) blocks.push(`Found out of order timestamp in :${absolute}`, ...outOfOrder)
  if (notFound.length > 0) blocks.push('The following indexed offsets are not found in the log.', ...notFound)
  return { blocks, problems }
}

/**
 * The engine's own checks of an index file, through the log layer (OffsetIndex/TimeIndex, opened
 * read-only and loaded lazily): entries ascend, the size is a multiple of the entry size, the
 * offsets lie at or above the base offset and the offset index's last entry points inside the log.
 * Returns null when the file passes, or the CorruptIndexError message (file and byte position).
 * Kafka's --index-sanity-check runs the equivalent checks of its own index classes.
 */
export function sanityCheckIndex(file: string, kind: IndexKind, baseOffset: number, logSize: number | null): string | null {
  // The largest index the engine accepts; the real limit is the topic's segmentIndexBytes.
  const maxIndexBytes = 0x7fffffff
  try {
    if (kind === 'offset') new OffsetIndex(file, baseOffset, maxIndexBytes, false).sanityCheck(logSize ?? Number.MAX_SAFE_INTEGER, null)
    else new TimeIndex(file, baseOffset, maxIndexBytes, false).sanityCheck(null)
    return null
  } catch (error) {
    if (error instanceof CorruptIndexError) return error.message
    throw error
  }
}
