import fs from 'node:fs'
import { InvalidArgumentError } from '../errors.js'
import type { Clock } from '../log/clock.js'
import type { LogFileSystem } from '../log/file-system.js'
import type { FlushPolicy } from '../log/flush-policy.js'
import type { RecoveryEvent } from '../log/partition-log.js'
import type { OffsetStoreOptions } from '../consumer/offset-store.js'
import type { TopicConfig } from './topic-config.js'
import type { LogCleanerOptions } from './log-cleaner.js'

/** How a LogEngine is opened (LogEngine.open); only `dir` is required. */
export interface LogEngineOptions {
  dir: string
  /**
   * When appends are fsynced: 'sync' (default; an append resolves after fdatasync, with group
   * commit), { mode: 'interval', ms, messages }, or 'os'. Topics may override it.
   */
  flush?: FlushPolicy | FlushPolicy['mode']
  /** How often the background task checks interval flushes (ms). */
  tickMs?: number
  /** How often retention runs (ms); Kafka's log.retention.check.interval.ms. */
  retentionCheckIntervalMs?: number
  /** How often recovery points and log start offsets are checkpointed (ms). */
  checkpointIntervalMs?: number
  /** How long deleted segments' files stay (renamed `.deleted`) for in-flight reads (ms). */
  fileDeleteDelayMs?: number
  /** When the consumer-offset store compacts its log. */
  offsetStore?: OffsetStoreOptions
  /** Defaults for topics created without a setting. */
  topicDefaults?: Partial<Omit<TopicConfig, 'partitions'>>
  /** Warnings (recovery cut a tail, a leftover was removed); console.warn by default. */
  onWarning?: (message: string, detail?: RecoveryEvent) => void
  /** The time the background task goes by (interval flushes, retention, checkpoints); the system clock by default. */
  clock?: Clock
  /** How the partition logs reach the disk; the real file system by default (tests wrap it). */
  fileSystem?: LogFileSystem
  /** Log compaction of topics with cleanupPolicy 'compact' (docs/compaction.md). */
  cleaner?: LogCleanerOptions
  /**
   * `.log` files of closed segments kept open at once across all partitions (default 256): they are
   * opened when read and closed again, least recently used first, once more than this are open.
   * Each partition's active segment stays open outside the bound, and a file a read is using stays too.
   */
  maxOpenSegmentFiles?: number
}

/** An integer option >= `min`, or `fallback` when not given (INVALID_ARGUMENT otherwise). */
export function positiveOption(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}

/** A file's text, or a marker no file holds when it cannot be read (checkpoint change detection). */

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
