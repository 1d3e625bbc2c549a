import path from 'node:path'
import { CorruptRecordError } from '../record/errors.js'
import assert from 'node:assert'
import { systemClock, type Clock } from './clock.js'
import { cleanDirectory } from './directory-cleanup.js'
import { CorruptIndexError, wrapIo } from './errors.js'
import { fsyncDirSync } from './file-io.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'
import { checkCount } from './log-arguments.js'
import { DEFAULT_READ_BYTES, type LogReader } from './log-reader.js'
import type { OpenPartitionOptions, PartitionLogConfig, PartitionLogOptions } from './partition-types.js'
import { restoreProducerState, type ProducerState } from './producer-state.js'
import { SegmentList, type ListingAtOpen } from './segment-list.js'
import { Segment } from './segment.js'
import type { AbortedTxnIndex } from './txn-index.js'
import type { LeaderEpochCache } from './leader-epoch-cache.js'
import { openKeyIndexes } from './key-index.js'
import { LEADER_EPOCH_CHECKPOINT } from '../format/leader-epoch-checkpoint.js'

/**
 * Bringing a partition directory into memory (Kafka's LogLoader): creating an empty one, or opening
 * one, which finishes what interrupted operations left behind, checks the active segment after a
 * clean shutdown, and recovers after an unclean one (scan, cut the torn tail, keep the cut bytes
 * in quarantine). The result is the partition's SegmentList; producer state is replayed by the
 * log once it can read.
 */

/** Where a loader finds the disk and the time. */
export interface LoadEnvironment {
  readonly fileSystem: LogFileSystem
  readonly clock: Clock
}

/** A partition log's options with their defaults, checked before any file is touched. */
export function checkedOptions(options: PartitionLogOptions): LoadEnvironment & { fileDeleteDelayMs: number } {
  const fileDeleteDelayMs = options.fileDeleteDelayMs ?? 1000
  checkCount(fileDeleteDelayMs, 'fileDeleteDelayMs', 'PartitionLog options')
  return { fileSystem: options.fileSystem ?? nodeFileSystem, clock: options.clock ?? systemClock, fileDeleteDelayMs }
}

/** Creates the directory of a new, empty partition with its first segment at offset 0. */
export function createSegmentList(dir: string, config: PartitionLogConfig, env: LoadEnvironment): SegmentList {
  wrapIo('mkdir', dir, () => env.fileSystem.mkdirSync(dir))
  const segment = Segment.create(dir, 0, config, env.clock.nowMs(), env.fileSystem)
  fsyncDirSync(dir, env.fileSystem)
  fsyncDirSync(path.dirname(dir), env.fileSystem)
  return new SegmentList([segment], 0, 0)
}

/**
 * Opens a partition directory (see `openSegments`). The log start is the checkpointed one unless
 * the first segment begins later; everything recovered is durable, so the recovery point is the
 * log end.
 */
export function loadSegmentList(
  dir: string,
  topic: string,
  partition: number,
  config: PartitionLogConfig,
  options: OpenPartitionOptions,
  env: LoadEnvironment,
): SegmentList {
  const opened: Segment[] = []
  try {
    const listing: ListingAtOpen = { snapshotOffsets: [], txnIndexOffsets: [], hasLeaderEpochCheckpoint: false }
    const kept = openSegments(dir, config, options, env, opened, listing)
    if (config.keyIndex === true) openKeyIndexes(kept, options.isClean ? Infinity : options.recoveryPoint, env.fileSystem)
    kept[kept.length - 1]!.keepOpen()
    const end = kept[kept.length - 1]!.nextOffset
    const logStart = Math.max(options.logStartOffset, kept[0]!.baseOffset)
    const list = new SegmentList(kept, Math.min(logStart, end), end)
    list.listingAtOpen = listing
    return list
  } catch (error) {
    throw failedOpen(error, opened, dir, topic, partition)
  }
}

/**
 * Rebuilds producer state for the records in `log.list` (at open, and after a truncation): from
 * the newest snapshot, replaying the batches after it (see restoreProducerState).
 */
export async function replayProducerState(
  log: {
    list: SegmentList
    dir: string
    fileSystem: LogFileSystem
    producerState: ProducerState
    txnIndex?: AbortedTxnIndex
    epochs?: LeaderEpochCache
  },
  reader: LogReader,
): Promise<void> {
  const { list, txnIndex } = log
  const listing = list.listingAtOpen
  list.listingAtOpen = null
  // The aborted-transaction index is rebuilt along: kept below the replay start, replayed above it.
  // Right after open the listing says which segments have a file (there, and in no quarantined segment).
  const baseOffsets = (): number[] => list.all.map((segment) => segment.baseOffset)
  const withTxnIndex =
    listing === null ? baseOffsets() : listing.txnIndexOffsets.length === 0 ? [] : keptOf(listing.txnIndexOffsets, baseOffsets())
  const damagedFrom = txnIndex?.load(withTxnIndex) ?? null
  // Epochs follow the records left (Kafka's load: entries at or after the log end go).
  log.epochs?.truncateFromEnd(list.logEndOffset)
  await restoreProducerState(
    log.producerState,
    log.dir,
    list.logStartOffset,
    list.logEndOffset,
    async (offset) => {
      // Not readRaw: this runs inside a truncation, which readRaw would wait for.
      const result = await reader.readOnce(offset, DEFAULT_READ_BYTES, list.logEndOffset)
      assert(result !== null, 'segments in the list are never retired while the log is open')
      return result
    },
    log.fileSystem,
    {
      ...(damagedFrom === null ? {} : { snapshotLimit: damagedFrom }),
      beforeReplay: (from) => txnIndex?.truncateFrom(from),
      onBatch: (batch) => log.epochs?.onBatch(batch),
    },
    ...(listing === null ? [] : [listing.snapshotOffsets]),
  )
}

/** The offsets of `offsets` that are in `kept`. */
function keptOf(offsets: readonly number[], kept: readonly number[]): number[] {
  const keptSet = new Set(kept)
  return offsets.filter((offset) => keptSet.has(offset))
}

/**
 * What an open that failed after opening `opened` throws: it leaves no descriptor behind (a caller
 * retrying would leak one per segment), and damage that keeps the partition from opening says
 * how to repair it: the same error (code, reason, file, position), with the way out in its message.
 */
export function failedOpen(error: unknown, opened: readonly Segment[], dir: string, topic: string, partition: number): unknown {
  for (const segment of opened) segment.closeQuietly()
  if (!(error instanceof CorruptRecordError)) return error
  const hinted = new CorruptRecordError(error.reason, error.position, error.detail, error.file, { cause: error.cause })
  hinted.message =
    `${error.message}. This partition cannot open: the damage lies in data made durable. ` +
    `\`seglog repair ${path.dirname(dir)} --topic ${topic} --partition ${partition}\` moves the damaged bytes into quarantine files so it can (see docs/durability.md)`
  return hinted
}

/**
 * Opens the segments of a partition directory, oldest first: removes leftovers of interrupted
 * deletions, opens every segment and, after an unclean shutdown, recovers every segment from the
 * one holding the recovery point on. Indexes that fail their checks are rebuilt; missing ones are
 * recreated. An empty directory gets a first segment at the log start offset. Every segment
 * opened is pushed to `opened` as soon as it is, so a caller can close them if this throws.
 */
export function openSegments(
  dir: string,
  config: PartitionLogConfig,
  options: OpenPartitionOptions,
  env: LoadEnvironment,
  opened: Segment[],
  listing?: ListingAtOpen,
): Segment[] {
  const { fileSystem } = env
  const { baseOffsets, indexedOffsets, snapshotOffsets, txnIndexOffsets, names } = cleanDirectory(dir, fileSystem, options.fileNames)
  if (listing !== undefined) {
    Object.assign(listing, { snapshotOffsets, txnIndexOffsets, hasLeaderEpochCheckpoint: names.has(LEADER_EPOCH_CHECKPOINT) })
  }
  for (const baseOffset of baseOffsets) opened.push(Segment.open(dir, baseOffset, config, fileSystem))
  const segments = opened.slice()
  for (let slot = 0; slot < segments.length - 1; slot++) segments[slot]!.setClosedEnd(segments[slot + 1]!.baseOffset)
  for (const [slot, segment] of segments.entries()) {
    if (!indexedOffsets.has(segment.baseOffset)) {
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
    const first = Segment.create(dir, options.logStartOffset, config, env.clock.nowMs(), fileSystem)
    opened.push(first)
    fsyncDirSync(dir, fileSystem)
    return [first]
  }
  if (options.isClean) {
    loadActiveTail(segments[segments.length - 1]!)
    return segments
  }
  const kept = recoverSegments(dir, segments, options, fileSystem)
  // Recovered bytes may still sit only in the page cache of a crashed process's machine:
  // fsync them before the recovery point moves over them (Kafka's "phantom" records bug).
  for (const segment of kept) if (segment.nextOffset > options.recoveryPoint) segment.syncSync()
  return kept
}

/** After a clean shutdown: check the active segment's indexes and find its end, rebuilding if needed. */
export function loadActiveTail(active: Segment): void {
  try {
    active.loadTail()
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
export function recoverSegments(dir: string, segments: Segment[], options: OpenPartitionOptions, fileSystem: LogFileSystem): Segment[] {
  let first = 0
  while (first < segments.length - 1 && segments[first + 1]!.baseOffset <= options.recoveryPoint) first++
  for (let slot = first; slot < segments.length; slot++) {
    const segment = segments[slot]!
    const result = segment.recover()
    const next = segments[slot + 1]
    if (result.error === null) {
      // Whole batches lost from the end of a rolled segment (a power cut kept the next segment's
      // data but not these) leave no bad byte: the segment just ends short of the next base. Above
      // the recovery point that is a torn tail too, and the log must stay a gap-free prefix. An
      // empty segment before a later base is a gap made on purpose (a roll for offsets that would
      // not fit its relative range), and is left alone.
      const isShort =
        next !== undefined && !segment.isEmpty && segment.nextOffset < next.baseOffset && segment.nextOffset >= options.recoveryPoint
      if (!isShort) continue
      quarantineLater(segments, slot, `offsets ${segment.nextOffset}..${next.baseOffset - 1} are missing before it`, options)
      fsyncDirSync(dir, fileSystem)
      return segments.slice(0, slot + 1)
    }
    if (segment.nextOffset < options.recoveryPoint) {
      // The bad bytes lie below the recovery point: that data was fsynced and acknowledged, so this
      // is damage, not a torn write. Never cut it silently.
      throw result.error
    }
    const quarantineFile = segment.cutTail({ quarantine: true })
    options.onRecovery?.({
      file: segment.paths.log,
      position: result.validBytes,
      bytes: result.invalidBytes,
      reason: result.error.message,
      quarantineFile,
    })
    quarantineLater(segments, slot, 'segment after a truncated one', options)
    fsyncDirSync(dir, fileSystem)
    return segments.slice(0, slot + 1)
  }
  return segments
}

/** Moves every segment after `slot` into quarantine whole, reporting each with `reason`. */
function quarantineLater(segments: readonly Segment[], slot: number, reason: string, options: OpenPartitionOptions): void {
  for (const later of segments.slice(slot + 1)) {
    const bytes = later.size
    const laterFile = later.paths.log
    const moved = later.quarantineWhole()
    options.onRecovery?.({ file: laterFile, position: 0, bytes, reason, quarantineFile: moved })
  }
}
