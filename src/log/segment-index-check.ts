import { OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from '../format/index-entry.js'
import { CorruptRecordError } from '../record/errors.js'
import { CorruptIndexError } from './errors.js'
import type { SegmentFile } from './file-system.js'
import { HeaderWalk } from './segment-headers.js'
import type { SegmentIndexer } from './segment-indexer.js'

/**
 * Checks of a segment's indexes against its log after a clean shutdown, when the log is trusted
 * but the indexes are not (they are derived data, written without fsync between flushes). A
 * failed check throws CorruptIndexError, upon which the segment rebuilds them from the log.
 */

/** The log a check reads: its file, its name in errors, and the bytes of whole batches in it. */
export interface CheckedLog {
  readonly file: SegmentFile
  readonly name: string
  readonly size: number
}

/**
 * The active segment after a clean shutdown: runs the sanity checks, finds the next offset by
 * scanning headers from the last index entry, and takes the largest timestamp from the time index
 * and the last batch, restoring every counter of `indexer` as the appends left it. Throws
 * CorruptRecordError when the tail is not whole batches.
 */
export function loadTail(log: CheckedLog, indexer: SegmentIndexer): void {
  indexer.offsetIndex.sanityCheck(log.size, null)
  checkLastOffsetEntry(log, indexer)
  const last = indexer.offsetIndex.lastEntry()
  let nextOffset = indexer.baseOffset
  let lastBatchMaxTimestamp = -1
  let lastBatchOffset = -1
  let bytesSinceLastIndexEntry = 0
  const walk = new HeaderWalk(log.file, log.name, last?.position ?? 0, log.size)
  while (walk.next()) {
    nextOffset = walk.lastOffset + 1
    lastBatchMaxTimestamp = walk.maxTimestamp()
    lastBatchOffset = walk.lastOffset
    // Entry rule: the indexed batch resets the counter, later ones add to it.
    bytesSinceLastIndexEntry = last !== null && walk.position === last.position ? walk.size : bytesSinceLastIndexEntry + walk.size
  }
  if (last === null) bytesSinceLastIndexEntry = log.size
  if (log.size > 0) {
    const first = new HeaderWalk(log.file, log.name, 0, log.size)
    if (first.next()) indexer.firstBatchTimestamp = first.maxTimestamp()
  }
  indexer.nextOffset = nextOffset
  indexer.offsetIndex.sanityCheck(log.size, nextOffset)
  indexer.timeIndex.sanityCheck(nextOffset)
  checkLastTimeEntry(log, indexer)
  const lastTime = indexer.timeIndex.lastEntry()
  if (lastTime !== null) indexer.noteTimestamp(lastTime.timestamp, lastTime.offset)
  indexer.noteTimestamp(lastBatchMaxTimestamp, lastBatchOffset)
  indexer.bytesSinceLastIndexEntry = bytesSinceLastIndexEntry
}

/**
 * A closed segment on first use: the sanity checks and the last-entry checks, given its next
 * offset (the next segment's base offset); the largest timestamp comes from the time index.
 */
export function checkClosedIndexes(log: CheckedLog, indexer: SegmentIndexer): void {
  indexer.offsetIndex.sanityCheck(log.size, indexer.nextOffset)
  indexer.timeIndex.sanityCheck(indexer.nextOffset)
  checkLastOffsetEntry(log, indexer)
  checkLastTimeEntry(log, indexer)
  const last = indexer.timeIndex.lastEntry()
  if (last !== null) indexer.noteTimestamp(last.timestamp, last.offset)
}

/**
 * Kafka's sanity checks pass a zero-filled one-entry index, or an emptied one (KAFKA-10207), and
 * a closed segment's largest timestamp is then read from a wrong last entry. So the last entry
 * of each index is also checked against the log: the offset entry must name the batch starting
 * at its position.
 */
function checkLastOffsetEntry(log: CheckedLog, indexer: SegmentIndexer): void {
  const index = indexer.offsetIndex
  const last = index.lastEntry()
  if (last === null) return
  const walk = new HeaderWalk(log.file, log.name, last.position, log.size)
  if (!nextHeader(walk) || walk.lastOffset !== last.offset) {
    throw new CorruptIndexError(
      index.file,
      (index.entries - 1) * OFFSET_ENTRY_SIZE,
      `last entry (${last.offset}, ${last.position}) does not name the batch at that position`,
    )
  }
}

/**
 * The time entry must name a batch ending at its offset whose max timestamp it carries, and a
 * non-empty segment must have one: seal and recovery always write it when the segment has
 * timestamps (so a segment without any gets rebuilt on first use, which finds none again).
 */
function checkLastTimeEntry(log: CheckedLog, indexer: SegmentIndexer): void {
  const index = indexer.timeIndex
  const last = index.lastEntry()
  if (last === null) {
    if (log.size > 0) throw new CorruptIndexError(index.file, 0, 'no entry for a non-empty segment')
    return
  }
  const walk = new HeaderWalk(log.file, log.name, indexer.offsetIndex.lookup(last.offset).position, log.size)
  while (nextHeader(walk) && walk.lastOffset <= last.offset) {
    if (walk.lastOffset === last.offset && walk.maxTimestamp() === last.timestamp) return
  }
  throw new CorruptIndexError(
    index.file,
    (index.entries - 1) * TIME_ENTRY_SIZE,
    `last entry (${last.timestamp}, ${last.offset}) does not match a batch of the log`,
  )
}

/** `walk.next()`, with damage read as "no batch there": the index entry is what is wrong. */
function nextHeader(walk: HeaderWalk): boolean {
  try {
    return walk.next()
  } catch (error) {
    if (error instanceof CorruptRecordError) return false
    throw error
  }
}
