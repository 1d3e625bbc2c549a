import path from 'node:path'

/**
 * Names of a segment's files: the base offset as 20 zero-padded digits, then a suffix, as Kafka
 * names them. Temporary suffixes go after the real one (`00000000000000000000.log.deleted`).
 */
export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
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
}

export function segmentPaths(dir: string, baseOffset: number): SegmentPaths {
  return {
    log: path.join(dir, offsetFileName(baseOffset, LOG_SUFFIX)),
    index: path.join(dir, offsetFileName(baseOffset, INDEX_SUFFIX)),
    timeIndex: path.join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX)),
  }
}

/** The base offset in a file name like `00000000000000524288.log`, or null if it is not one. */
export function parseOffsetFileName(name: string): { offset: number; suffix: string } | null {
  const match = /^(\d{20})(\.[a-z]+(?:\.[a-z]+)*)$/.exec(name)
  if (match === null) return null
  const offset = Number(match[1])
  if (!Number.isSafeInteger(offset)) return null
  return { offset, suffix: match[2] as string }
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
