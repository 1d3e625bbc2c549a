import fs from 'node:fs'
import path from 'node:path'
import { CorruptRecordError } from '../record/errors.js'
import { CorruptIndexError, wrapIo } from './errors.js'
import { FileBatchReader } from './file-batch-reader.js'
import { fsyncDirSync } from './file-io.js'
import type { OpenPartitionOptions } from './partition-types.js'
import { CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, parseOffsetFileName, SWAP_SUFFIX, TIME_INDEX_SUFFIX } from './segment-files.js'
import { Segment, type SegmentConfig } from './segment.js'

/**
 * Opening a partition directory: finishing what interrupted operations left behind, checking the
 * active segment after a clean shutdown, and recovering after an unclean one (scan, cut the torn
 * tail, keep the cut bytes in quarantine).
 */

/**
 * Opens the segments of a partition directory, oldest first: removes leftovers of interrupted
 * deletions, opens every segment and, after an unclean shutdown, recovers every segment from the
 * one holding the recovery point on. Indexes that fail their checks are rebuilt; missing ones are
 * recreated. An empty directory gets a first segment at the log start offset. Every segment
 * opened is pushed to `opened` as soon as it is, so a caller can close them if this throws.
 */
export async function openSegments(dir: string, config: SegmentConfig, options: OpenPartitionOptions, opened: Segment[]): Promise<Segment[]> {
  const baseOffsets = cleanDirectory(dir)
  for (const baseOffset of baseOffsets) opened.push(Segment.open(dir, baseOffset, config))
  const segments = opened.slice()
  for (let slot = 0; slot < segments.length - 1; slot++) segments[slot]!.nextOffset = segments[slot + 1]!.baseOffset
  for (const [slot, segment] of segments.entries()) {
    if (!fs.existsSync(segment.paths.index) || !fs.existsSync(segment.paths.timeIndex)) {
      segment.offsetIndex.createIfMissing()
      segment.timeIndex.createIfMissing()
      // Only a segment wholly below the recovery point is rebuilt here; the rest (the last one
      // always) is recovered below, which cuts a torn tail instead of failing on it. The last
      // segment's nextOffset is still its base offset, so it must not pass this test.
      const belowRecoveryPoint = slot < segments.length - 1 && segment.nextOffset <= options.recoveryPoint
      if (options.isClean || belowRecoveryPoint) segment.rebuildIndexes()
    }
  }
  if (segments.length === 0) {
    const first = Segment.create(dir, options.logStartOffset, config, options.nowMs ?? Date.now())
    opened.push(first)
    fsyncDirSync(dir)
    return [first]
  }
  if (options.isClean) {
    await loadActiveTail(segments[segments.length - 1]!)
    return segments
  }
  const kept = recoverSegments(dir, segments, options)
  // Recovered bytes may still sit only in the page cache of a crashed process's machine:
  // fsync them before the recovery point moves over them (Kafka's "phantom" records bug).
  for (const segment of kept) if (segment.nextOffset > options.recoveryPoint) segment.syncSync()
  return kept
}

/**
 * Removes what interrupted operations leave behind (as Kafka's loader does) and returns the base
 * offsets of the segments, ascending: `.deleted` and `.cleaned` files and temp files are removed,
 * `.swap` files complete their swap, and index files without a `.log` are orphans.
 */
export function cleanDirectory(dir: string): number[] {
  const names = wrapIo('list', dir, () => fs.readdirSync(dir))
  const remove = (name: string): void => wrapIo('unlink', path.join(dir, name), () => fs.rmSync(path.join(dir, name), { force: true }))
  // Kafka's order: temp, deleted and cleaner files go first, remembering the smallest `.cleaned`
  // offset; a `.swap` at or above it belongs to a clean that did not finish and goes too.
  let smallestCleaned = Infinity
  const swaps: string[] = []
  let rest: string[] = []
  for (const name of names) {
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
      if (name.endsWith(CLEANED_SUFFIX)) smallestCleaned = Math.min(smallestCleaned, parseOffsetFileName(name)?.offset ?? Infinity)
      remove(name)
    } else if (name.endsWith(SWAP_SUFFIX)) {
      swaps.push(name)
    } else {
      rest.push(name)
    }
  }
  for (const name of swaps) {
    const parsed = parseOffsetFileName(name)
    if (parsed !== null && parsed.offset >= smallestCleaned) {
      remove(name)
      continue
    }
    if (parsed !== null && parsed.suffix === LOG_SUFFIX + SWAP_SUFFIX) {
      // A complete swap replaces every segment whose base offset lies in its offset range,
      // including the indexes of its own base offset unless they are swapped too (then rebuilt).
      const end = Math.max(nextOffsetOfLog(path.join(dir, name), parsed.offset), parsed.offset + 1)
      rest = rest.filter((other) => {
        const covered = parseOffsetFileName(other)
        const isSegmentFile = covered !== null && [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].includes(covered.suffix)
        if (!isSegmentFile || covered.offset < parsed.offset || covered.offset >= end || swaps.includes(other + SWAP_SUFFIX)) return true
        remove(other)
        return false
      })
    }
  }
  for (const name of swaps) {
    const file = path.join(dir, name)
    if (!fs.existsSync(file)) continue
    const segmentName = name.slice(0, -SWAP_SUFFIX.length)
    wrapIo('rename', file, () => fs.renameSync(file, path.join(dir, segmentName)))
    if (!rest.includes(segmentName)) rest.push(segmentName)
  }
  const logs = new Set<number>()
  const indexes: string[] = []
  for (const name of rest) {
    const parsed = parseOffsetFileName(name)
    if (parsed === null) continue
    if (parsed.suffix === LOG_SUFFIX) logs.add(parsed.offset)
    else if (parsed.suffix === INDEX_SUFFIX || parsed.suffix === TIME_INDEX_SUFFIX) indexes.push(name)
  }
  for (const name of indexes) {
    if (!logs.has(parseOffsetFileName(name)!.offset)) remove(name)
  }
  return [...logs].sort((a, b) => a - b)
}

/** The offset after the last whole batch of a log file (its base offset when it has none). */
function nextOffsetOfLog(file: string, baseOffset: number): number {
  const reader = FileBatchReader.openSync(file)
  let next = baseOffset
  try {
    for (let batch = reader.next(); batch !== null; batch = reader.next()) next = Math.max(next, batch.lastOffset + 1)
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
  } finally {
    reader.close()
  }
  return next
}

/** After a clean shutdown: check the active segment's indexes and find its end, rebuilding if needed. */
export async function loadActiveTail(active: Segment): Promise<void> {
  try {
    await active.loadTail()
  } catch (error) {
    if (!(error instanceof CorruptIndexError)) throw error
    active.rebuildIndexes()
  }
}

/**
 * Unclean open: recover every segment from the one holding the recovery point. At the first
 * segment with a bad tail the log is cut. The cut bytes, and every later segment, are not thrown
 * away (Kafka deletes them): they move into quarantine files beside the log, named after the file
 * and byte position they came from, and `onRecovery` reports each.
 */
export function recoverSegments(dir: string, segments: Segment[], options: OpenPartitionOptions): Segment[] {
  let first = 0
  while (first < segments.length - 1 && segments[first + 1]!.baseOffset <= options.recoveryPoint) first++
  for (let slot = first; slot < segments.length; slot++) {
    const segment = segments[slot]!
    const result = segment.recover()
    if (result.error === null) continue
    if (segment.nextOffset < options.recoveryPoint) {
      // The bad bytes lie below the recovery point: that data was fsynced and acknowledged, so this
      // is damage, not a torn write. Never cut it silently.
      throw result.error
    }
    const quarantineFile = segment.cutTail({ quarantine: true })
    options.onRecovery?.({ file: segment.paths.log, position: result.validBytes, bytes: result.invalidBytes, reason: result.error.message, quarantineFile })
    for (const later of segments.slice(slot + 1)) {
      const bytes = later.size
      const laterFile = later.paths.log
      const moved = later.quarantineWhole()
      options.onRecovery?.({ file: laterFile, position: 0, bytes, reason: 'segment after a truncated one', quarantineFile: moved })
    }
    fsyncDirSync(dir)
    return segments.slice(0, slot + 1)
  }
  return segments
}
