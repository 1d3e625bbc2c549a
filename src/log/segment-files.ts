import path from 'node:path'
import { wrapIo } from './errors.js'
import type { LogFileSystem } from './file-system.js'

/**
 * Names of a segment's files: the base offset as 20 zero-padded digits, then a suffix, as Kafka
 * names them. Temporary suffixes go after the real one (`00000000000000000000.log.deleted`).
 * Also the operations on a segment's three files together.
 */
export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
/** Aborted transactions whose ABORT marker lies in the segment (only when there are any). */
export const TXN_INDEX_SUFFIX = '.txnindex'
/** The optional key index (topics with keyIndex: true; docs/format/key-index.md). */
export const KEY_INDEX_SUFFIX = '.keyindex'
export const DELETED_SUFFIX = '.deleted'
export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'
/** Bytes cut from a torn or corrupt tail by recovery, kept for inspection instead of discarded. */
export const QUARANTINE_SUFFIX = '.quarantine'

const OFFSET_DIGITS = 20

export function offsetFileName(offset: number, suffix: string): string {
  return String(offset).padStart(OFFSET_DIGITS, '0') + suffix
}

export interface SegmentPaths {
  log: string
  index: string
  timeIndex: string
  txnIndex: string
  keyIndex: string
}

/** The last directory `segmentPaths` normalized, and its normal form with a trailing separator. */
let lastDir = ''
let lastDirPrefix = ''

export function segmentPaths(dir: string, baseOffset: number): SegmentPaths {
  // The names differ only in their suffix, and the segments of a partition share their directory:
  // it is normalized (as path.join does) once, not once per segment.
  if (dir !== lastDir) {
    lastDirPrefix = path.join(dir, '_').slice(0, -1)
    lastDir = dir
  }
  const stem = lastDirPrefix + offsetFileName(baseOffset, '')
  return {
    log: stem + LOG_SUFFIX,
    index: stem + INDEX_SUFFIX,
    timeIndex: stem + TIME_INDEX_SUFFIX,
    txnIndex: stem + TXN_INDEX_SUFFIX,
    keyIndex: stem + KEY_INDEX_SUFFIX,
  }
}

/** `.log`, `.log.deleted`, …: one or more dot-led lower-case words. */
const SUFFIX_PATTERN = /^(?:\.[a-z]+)+$/

/** The base offset in a file name like `00000000000000524288.log`, or null if it is not one. */
export function parseOffsetFileName(name: string): { offset: number; suffix: string } | null {
  // Runs for every file of every partition at open: digits checked by hand, the suffix by a pattern.
  if (name.length <= OFFSET_DIGITS + 1 || name.charCodeAt(OFFSET_DIGITS) !== 0x2e) return null
  for (let at = 0; at < OFFSET_DIGITS; at++) {
    const code = name.charCodeAt(at)
    if (code < 0x30 || code > 0x39) return null
  }
  const suffix = name.slice(OFFSET_DIGITS)
  if (!SUFFIX_PATTERN.test(suffix)) return null
  const offset = Number(name.slice(0, OFFSET_DIGITS))
  if (!Number.isSafeInteger(offset)) return null
  return { offset, suffix }
}

/**
 * `00000000000000000000.log.4096.quarantine`: bytes recovery cut from that log, from byte 4096 on.
 * A second cut at the same position gets `-1`, `-2`, … before the suffix.
 */
export function quarantineFileName(logFile: string, position: number): string {
  return `${logFile}.${position}${QUARANTINE_SUFFIX}`
}

export function isQuarantineFile(name: string): boolean {
  return /^\d{20}\.log\.\d+(-\d+)?\.quarantine$/.test(name)
}

/**
 * Renames the files of a segment to `<name><suffix>` (a file already gone is skipped) and
 * points `paths` at the new names. The caller fsyncs the directory.
 */
export function renameSegmentFiles(fileSystem: LogFileSystem, paths: SegmentPaths, suffix: string): void {
  for (const key of ['log', 'index', 'timeIndex', 'txnIndex', 'keyIndex'] as const) {
    const file = paths[key]
    const target = file + suffix
    wrapIo('rename', file, () => {
      try {
        fileSystem.renameSync(file, target)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    })
    paths[key] = target
  }
}

/** Removes the files of a segment (those still there). */
export function removeSegmentFiles(fileSystem: LogFileSystem, paths: SegmentPaths): void {
  for (const file of [paths.log, paths.index, paths.timeIndex, paths.txnIndex, paths.keyIndex])
    wrapIo('unlink', file, () => fileSystem.unlinkSync(file))
}
