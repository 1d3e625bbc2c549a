import fs from 'node:fs'
import { InvalidArgumentError } from '../errors.js'

/** Small helpers of the engine's option handling and checkpoint comparison. */

/**
 * The internal offsets topic's fixed settings: retention of either kind would delete live commits
 * (only the store's own compaction trims its log), and its records have no keys for the cleaner.
 */
export const OFFSETS_TOPIC_SETTINGS = {
  partitions: 1,
  segmentBytes: 16 * 1024 * 1024,
  retentionMs: -1,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
} as const

export function readTextIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return '\u0000missing'
  }
}

export function positiveOption(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}
