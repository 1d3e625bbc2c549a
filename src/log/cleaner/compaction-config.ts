import { InvalidArgumentError } from '../../errors.js'

/**
 * A topic's cleanup settings, named after Kafka's topic configs (cleanup.policy → cleanupPolicy,
 * delete.retention.ms → deleteRetentionMs, …). Every field is optional on a topic; absent ones
 * take the defaults below, which are Kafka's.
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete'

export interface CompactionSettings {
  /** 'delete': retention only (the default). 'compact': the cleaner only. 'compact,delete': both. */
  cleanupPolicy: CleanupPolicy
  /** How long a tombstone stays after the cleaning pass that first reached it. */
  deleteRetentionMs: number
  /** Records younger than this are never cleaned. */
  minCompactionLagMs: number
  /** A partition whose oldest dirty record is older than this is cleaned whatever its dirty ratio. */
  maxCompactionLagMs: number
  /** Cleaned only when dirty bytes / all bytes reaches this (0..1). */
  minCleanableDirtyRatio: number
}

export const DEFAULT_COMPACTION_SETTINGS: Readonly<CompactionSettings> = Object.freeze({
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
})

/** The settings these keys configure, checked by `checkCompactionSetting`. */
export const COMPACTION_SETTING_KEYS: readonly string[] = [
  'cleanupPolicy',
  'deleteRetentionMs',
  'minCompactionLagMs',
  'maxCompactionLagMs',
  'minCleanableDirtyRatio',
  'keyIndex',
]

const POLICIES: readonly string[] = ['delete', 'compact', 'compact,delete']

/** Checks one cleanup setting (or keyIndex) and returns it; throws INVALID_ARGUMENT naming it. */
export function checkCompactionSetting(key: string, value: unknown): unknown {
  const fail = (what: string): never => {
    throw new InvalidArgumentError(`topic setting ${key} must be ${what}, got ${JSON.stringify(value)}`)
  }
  switch (key) {
    case 'cleanupPolicy':
      // Kafka also accepts the two words the other way round.
      if (value === 'delete,compact') return 'compact,delete'
      return POLICIES.includes(value as string) ? value : fail(`one of ${POLICIES.map((policy) => `'${policy}'`).join(', ')}`)
    case 'minCleanableDirtyRatio':
      return typeof value === 'number' && value >= 0 && value <= 1 ? value : fail('a number in [0, 1]')
    case 'keyIndex':
      return typeof value === 'boolean' ? value : fail('true or false')
    default:
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
        ? value
        : fail(`an integer in [0, ${Number.MAX_SAFE_INTEGER}]`)
  }
}

/** The settings in force for a topic config: its own where set, Kafka's defaults elsewhere. */
export function compactionSettings(config: Partial<CompactionSettings>): CompactionSettings {
  return {
    cleanupPolicy: config.cleanupPolicy ?? DEFAULT_COMPACTION_SETTINGS.cleanupPolicy,
    deleteRetentionMs: config.deleteRetentionMs ?? DEFAULT_COMPACTION_SETTINGS.deleteRetentionMs,
    minCompactionLagMs: config.minCompactionLagMs ?? DEFAULT_COMPACTION_SETTINGS.minCompactionLagMs,
    maxCompactionLagMs: config.maxCompactionLagMs ?? DEFAULT_COMPACTION_SETTINGS.maxCompactionLagMs,
    minCleanableDirtyRatio: config.minCleanableDirtyRatio ?? DEFAULT_COMPACTION_SETTINGS.minCleanableDirtyRatio,
  }
}

export function isCompacted(config: { cleanupPolicy?: CleanupPolicy }): boolean {
  return config.cleanupPolicy === 'compact' || config.cleanupPolicy === 'compact,delete'
}

/** Retention (time and size) applies unless the policy is compaction alone. */
export function hasDeleteRetention(config: { cleanupPolicy?: CleanupPolicy }): boolean {
  return config.cleanupPolicy !== 'compact'
}

/**
 * How old a segment's first batch may get before the segment rolls: segmentMs, or for a compacted
 * topic maxCompactionLagMs when that is sooner (Kafka's rule), so no key waits longer than that
 * in the active segment, which the cleaner never touches.
 */
export function rollMs(config: { segmentMs: number; cleanupPolicy?: CleanupPolicy; maxCompactionLagMs?: number }): number {
  return isCompacted(config) && config.maxCompactionLagMs !== undefined
    ? Math.min(config.segmentMs, config.maxCompactionLagMs)
    : config.segmentMs
}
