import path from 'node:path'
import { CorruptRecordError } from '../record/errors.js'
import { wrapIo } from './errors.js'
import { FileBatchReader } from './file-batch-reader.js'
import type { LogFileSystem } from './file-system.js'
import { SNAPSHOT_SUFFIX } from './producer-state.js'
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  KEY_INDEX_SUFFIX,
  LOG_SUFFIX,
  parseOffsetFileName,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
} from './segment-files.js'

/** A partition directory once cleaned: its segments' base offsets, ascending, and the names of the files left. */
export interface CleanedDirectory {
  baseOffsets: number[]
  /** Lets the loader see which index files exist without a system call per segment. */
  names: ReadonlySet<string>
  /** Base offsets whose `.index` and `.timeindex` both exist (the same, without a name per segment). */
  indexedOffsets: ReadonlySet<number>
  /** What else the open needs from the same listing: producer snapshots' offsets, ascending. */
  snapshotOffsets: number[]
  /** Base offsets of the segments that have a `.txnindex` (few do). */
  txnIndexOffsets: number[]
}

/**
 * Removes what interrupted operations leave behind (as Kafka's loader does) and returns the
 * segments: `.deleted` and `.cleaned` files and temp files are removed, `.swap` files complete
 * their swap, and index files without a `.log` are orphans. `listed`: the directory's names, if
 * the caller has just listed it.
 */
export function cleanDirectory(dir: string, fileSystem: LogFileSystem, listed?: readonly string[]): CleanedDirectory {
  const names = listed ?? wrapIo('list', dir, () => fileSystem.readdirSync(dir))
  const remove = (name: string): void => wrapIo('unlink', path.join(dir, name), () => fileSystem.unlinkSync(path.join(dir, name)))
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
      const end = Math.max(nextOffsetOfLog(fileSystem, path.join(dir, name), parsed.offset), parsed.offset + 1)
      rest = rest.filter((other) => {
        const covered = parseOffsetFileName(other)
        const isSegmentFile =
          covered !== null && [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, KEY_INDEX_SUFFIX].includes(covered.suffix)
        if (!isSegmentFile || covered.offset < parsed.offset || covered.offset >= end || swaps.includes(other + SWAP_SUFFIX)) return true
        remove(other)
        return false
      })
    }
  }
  for (const name of swaps) {
    const file = path.join(dir, name)
    if (!fileSystem.existsSync(file)) continue
    const segmentName = name.slice(0, -SWAP_SUFFIX.length)
    wrapIo('rename', file, () => fileSystem.renameSync(file, path.join(dir, segmentName)))
    if (!rest.includes(segmentName)) rest.push(segmentName)
  }
  const logs = new Set<number>()
  const indexes: string[] = []
  const snapshotOffsets: number[] = []
  for (const name of rest) {
    const parsed = parseOffsetFileName(name)
    if (parsed === null) continue
    if (parsed.suffix === LOG_SUFFIX) logs.add(parsed.offset)
    else if (parsed.suffix === SNAPSHOT_SUFFIX) snapshotOffsets.push(parsed.offset)
    else if (
      parsed.suffix === INDEX_SUFFIX ||
      parsed.suffix === TIME_INDEX_SUFFIX ||
      parsed.suffix === TXN_INDEX_SUFFIX ||
      parsed.suffix === KEY_INDEX_SUFFIX
    )
      indexes.push(name)
  }
  const kept = new Set(rest)
  const txnIndexOffsets: number[] = []
  const withIndex = new Set<number>()
  const indexedOffsets = new Set<number>()
  for (const name of indexes) {
    const { offset, suffix } = parseOffsetFileName(name)!
    if (logs.has(offset)) {
      if (suffix === TXN_INDEX_SUFFIX) txnIndexOffsets.push(offset)
      else if (suffix === INDEX_SUFFIX || suffix === TIME_INDEX_SUFFIX) {
        // The second of the two for this offset makes it indexed.
        if (withIndex.has(offset)) indexedOffsets.add(offset)
        else withIndex.add(offset)
      }
      continue
    }
    remove(name)
    kept.delete(name)
  }
  const ascending = (a: number, b: number): number => a - b
  return {
    baseOffsets: [...logs].sort(ascending),
    names: kept,
    indexedOffsets,
    snapshotOffsets: snapshotOffsets.sort(ascending),
    txnIndexOffsets: txnIndexOffsets.sort(ascending),
  }
}

/** The offset after the last whole batch of a log file (its base offset when it has none). */
function nextOffsetOfLog(fileSystem: LogFileSystem, file: string, baseOffset: number): number {
  const reader = FileBatchReader.openSync(file, { fileSystem })
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
