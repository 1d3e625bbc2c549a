import { CorruptRecordError } from '../record/errors.js'
import { CorruptIndexError } from './errors.js'
import type { SegmentFile } from './file-system.js'
import { MAX_RELATIVE_OFFSET, OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from '../format/index-entry.js'
import { HeaderWalk, MAX_CHUNK_BYTES } from './segment-headers.js'
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
 * CorruptRecordError when the tail is not whole batches. The checks share one walk, so bytes
 * several of them look at (the batch the last index entry names, the first batch) are read once.
 */
export function loadTail(log: CheckedLog, indexer: SegmentIndexer): void {
  indexer.offsetIndex.sanityCheck(log.size, null)
  const last = indexer.offsetIndex.lastEntry()
  const walk = new HeaderWalk(log.file, log.name, last?.position ?? 0, log.size)
  checkLastOffsetEntry(walk, indexer)
  let nextOffset = indexer.baseOffset
  let lastBatchMaxTimestamp = -1
  let lastBatchOffset = -1
  let bytesSinceLastIndexEntry = 0
  walk.restart(last?.position ?? 0)
  while (walk.next()) {
    nextOffset = walk.lastOffset + 1
    lastBatchMaxTimestamp = walk.maxTimestamp()
    lastBatchOffset = walk.lastOffset
    // Entry rule: the indexed batch resets the counter, later ones add to it.
    bytesSinceLastIndexEntry = last !== null && walk.position === last.position ? walk.size : bytesSinceLastIndexEntry + walk.size
  }
  if (last === null) bytesSinceLastIndexEntry = log.size
  if (log.size > 0) {
    walk.restart(0)
    if (walk.next()) indexer.firstBatchTimestamp = walk.maxTimestamp()
  }
  indexer.nextOffset = nextOffset
  indexer.offsetIndex.sanityCheck(log.size, nextOffset)
  indexer.timeIndex.sanityCheck(nextOffset)
  checkLastTimeEntry(walk, log.size, indexer)
  const lastTime = indexer.timeIndex.lastEntry()
  if (lastTime !== null) indexer.noteTimestamp(lastTime.timestamp, lastTime.offset)
  indexer.noteTimestamp(lastBatchMaxTimestamp, lastBatchOffset)
  indexer.bytesSinceLastIndexEntry = bytesSinceLastIndexEntry
}

/**
 * The active segment after a clean shutdown, when its whole log fits in one read: reads it in one
 * call and judges every batch as recovery does (framing, CRC, offsets that ascend within the
 * segment's range), then restores the counters `loadTail` would (next offset, first and largest
 * timestamp) from the batches themselves, without reading either index. Returns false, having
 * changed nothing, when the log is larger or holds anything else (a legacy entry, damage): the
 * caller then takes `loadTail`'s way, which judges it exactly as before.
 *
 * The indexes are checked on first use instead (`checkIndexes`, from the segment's
 * `ensureIndexes`), and rebuilt if a check fails; the log was just found whole and valid, so
 * such a rebuild ends where this open did.
 */
export function loadWholeTail(log: CheckedLog, indexer: SegmentIndexer): boolean {
  if (log.size > MAX_CHUNK_BYTES) return false
  const { baseOffset } = indexer
  let nextOffset = baseOffset
  let firstBatchTimestamp: number | null = null
  let maxTimestamp = -1
  let offsetOfMaxTimestamp = -1
  const walk = new HeaderWalk(log.file, log.name, 0, log.size, true)
  try {
    while (walk.next()) {
      const { lastOffset } = walk
      if (walk.isLegacy || walk.baseOffset < nextOffset || lastOffset < walk.baseOffset || lastOffset - baseOffset > MAX_RELATIVE_OFFSET) {
        return false
      }
      // The file held fewer bytes than its size said (cut under us): loadTail says what is wrong.
      if (!walk.isBatchRead) return false
      walk.checkCrc()
      const timestamp = walk.maxTimestamp()
      firstBatchTimestamp ??= timestamp
      // The first batch to reach the largest timestamp, as the appends' running maximum kept it.
      if (timestamp > maxTimestamp) {
        maxTimestamp = timestamp
        offsetOfMaxTimestamp = lastOffset
      }
      nextOffset = lastOffset + 1
    }
  } catch (error) {
    if (error instanceof CorruptRecordError) return false
    throw error
  }
  indexer.nextOffset = nextOffset
  indexer.firstBatchTimestamp = firstBatchTimestamp
  indexer.noteTimestamp(maxTimestamp, offsetOfMaxTimestamp)
  return true
}

/**
 * A segment's indexes on first use, once its next offset is known (a closed segment's is the next
 * segment's base offset; an active one's was found at open by `loadWholeTail`): the sanity checks
 * and the last-entry checks; the largest timestamp comes from the time index, and the bytes since
 * the last offset entry (the index-entry rule's counter, for appends) from the log's size.
 */
export function checkIndexes(log: CheckedLog, indexer: SegmentIndexer): void {
  indexer.offsetIndex.sanityCheck(log.size, indexer.nextOffset)
  indexer.timeIndex.sanityCheck(indexer.nextOffset)
  const walk = new HeaderWalk(log.file, log.name, 0, log.size)
  checkLastOffsetEntry(walk, indexer)
  checkLastTimeEntry(walk, log.size, indexer)
  const last = indexer.timeIndex.lastEntry()
  if (last !== null) indexer.noteTimestamp(last.timestamp, last.offset)
  // Every batch from the last entry's on was counted since it (that batch resets the counter).
  indexer.bytesSinceLastIndexEntry = log.size - (indexer.offsetIndex.lastEntry()?.position ?? 0)
}

/**
 * Kafka's sanity checks pass a zero-filled one-entry index, or an emptied one (KAFKA-10207), and
 * a closed segment's largest timestamp is then read from a wrong last entry. So the last entry
 * of each index is also checked against the log: the offset entry must name the batch starting
 * at its position.
 */
function checkLastOffsetEntry(walk: HeaderWalk, indexer: SegmentIndexer): void {
  const index = indexer.offsetIndex
  const last = index.lastEntry()
  if (last === null) return
  walk.restart(last.position)
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
function checkLastTimeEntry(walk: HeaderWalk, logSize: number, indexer: SegmentIndexer): void {
  const index = indexer.timeIndex
  const last = index.lastEntry()
  if (last === null) {
    if (logSize > 0) throw new CorruptIndexError(index.file, 0, 'no entry for a non-empty segment')
    return
  }
  walk.restart(indexer.offsetIndex.lookup(last.offset).position)
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
