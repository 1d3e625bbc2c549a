import { wrapIo } from '../errors.js'
import { fsyncDirSync } from '../file-io.js'
import type { LogFileSystem } from '../file-system.js'
import type { SegmentRetention } from '../log-retention.js'
import { CLEANED_SUFFIX, SWAP_SUFFIX } from '../segment-files.js'
import type { SegmentList } from '../segment-list.js'
import { Segment, type SegmentConfig } from '../segment.js'
import type { CleanedSegment } from './cleaned-segment.js'

/** What the swap changes: the partition's segments, directory and deferred deletions. */
export interface SwapTarget {
  readonly list: SegmentList
  readonly dir: string
  readonly config: SegmentConfig
  readonly fileSystem: LogFileSystem
  readonly retention: SegmentRetention
}

/** Points of the swap a crash test stops the process at: after the `.swap` renames, after the old segments became `.deleted`. */
export type SwapStep = 'swap-written' | 'old-deleted'

/**
 * Puts a cleaned segment in place of `group`, with Kafka's file protocol, each step fsynced:
 *   1. every `.cleaned` file is renamed `.swap` (the clean is now complete on disk);
 *   2. the old segments' files are renamed `.deleted` (reads holding them finish on the open files);
 *   3. the `.swap` suffix is dropped and the new segment replaces the group in the list.
 * A crash before 1 finishes leaves `.cleaned` files, which the next open removes (old segments
 * stay); after it, the open completes the swap (src/log/directory-cleanup.ts). Synchronous, run in
 * the log's write queue, so no append, truncation or read sees a half-done swap. Returns false
 * (and touches nothing) when the group is no longer the log's (retention or a truncation removed
 * part of it meanwhile); the caller then discards the cleaned files.
 */
export function swapIn(
  target: SwapTarget,
  group: readonly Segment[],
  cleaned: CleanedSegment,
  nowMs: number,
  onStep?: (step: SwapStep) => void,
): boolean {
  const { list, dir, fileSystem } = target
  const segments = list.all
  const slot = segments.indexOf(group[0]!)
  const isIntact = slot >= 0 && slot + group.length < segments.length && group.every((segment, at) => segments[slot + at] === segment)
  if (!isIntact || group.some((segment) => segment.isRetired)) return false
  const cleanedFiles = [cleaned.paths.log, cleaned.paths.index, cleaned.paths.timeIndex, cleaned.paths.txnIndex].filter((file) =>
    fileSystem.existsSync(file),
  )
  const swapFiles = cleanedFiles.map((file) => file.slice(0, -CLEANED_SUFFIX.length) + SWAP_SUFFIX)
  cleanedFiles.forEach((file, at) => wrapIo('rename', file, () => fileSystem.renameSync(file, swapFiles[at]!)))
  fsyncDirSync(dir, fileSystem)
  onStep?.('swap-written')
  for (const segment of group) segment.markDeleted()
  fsyncDirSync(dir, fileSystem)
  onStep?.('old-deleted')
  for (const file of swapFiles) {
    const final = file.slice(0, -SWAP_SUFFIX.length)
    wrapIo('rename', file, () => fileSystem.renameSync(file, final))
  }
  fsyncDirSync(dir, fileSystem)
  const segment = Segment.open(dir, cleaned.baseOffset, target.config, fileSystem)
  segment.setClosedEnd(segments[slot + group.length]!.baseOffset)
  list.replaceSegments(slot, group.length, segment)
  target.retention.scheduleDeletion(group, nowMs)
  return true
}
