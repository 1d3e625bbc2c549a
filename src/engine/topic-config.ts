import { InvalidArgumentError } from '../errors.js'
import { resolveFlushPolicy, type FlushPolicy } from '../log/flush-policy.js'
import type { PartitionLogConfig } from '../log/partition-log.js'
import type { TimestampType } from '../record/record-batch.js'
import { checkCompactionSetting, COMPACTION_SETTING_KEYS } from '../log/cleaner/compaction-config.js'

/** Per-topic settings, named after Kafka's topic configs (segment.bytes → segmentBytes, …). */
export interface TopicConfig extends PartitionLogConfig {
  partitions: number
  /** Overrides the engine's flush policy for this topic. */
  flush?: FlushPolicy
  /**
   * Kafka's message.timestamp.type: 'LogAppendTime' asks a broker to stamp batches with their time
   * of arrival (see stampLogAppendTime); 'CreateTime' (the default when absent) keeps the producer's.
   */
  timestampType?: TimestampType
}

type NumericSetting = Exclude<
  keyof TopicConfig,
  | 'flush'
  | 'timestampType'
  | 'cleanupPolicy'
  | 'deleteRetentionMs'
  | 'minCompactionLagMs'
  | 'maxCompactionLagMs'
  | 'minCleanableDirtyRatio'
  | 'keyIndex'
>

export const DEFAULT_TOPIC_CONFIG: TopicConfig = Object.freeze({
  partitions: 1,
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  maxBatchBytes: 16 * 1024 * 1024,
})

const LIMITS: Record<NumericSetting, { min: number; max: number }> = {
  partitions: { min: 1, max: 100_000 },
  segmentBytes: { min: 14, max: 0x7fffffff },
  segmentMs: { min: 1, max: Number.MAX_SAFE_INTEGER },
  segmentIndexBytes: { min: 16, max: 0x7fffffff },
  indexIntervalBytes: { min: 0, max: 0x7fffffff },
  retentionMs: { min: -1, max: Number.MAX_SAFE_INTEGER },
  retentionBytes: { min: -1, max: Number.MAX_SAFE_INTEGER },
  maxBatchBytes: { min: 61, max: 0x7fffffff },
}

/** Fills defaults and rejects unknown keys and out-of-range values with a clear error. */
export function resolveTopicConfig(input: Partial<TopicConfig> | undefined, base: TopicConfig = DEFAULT_TOPIC_CONFIG): TopicConfig {
  const config: TopicConfig = { ...base }
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === undefined) continue
    if (key === 'flush') {
      config.flush = resolveFlushPolicy(value)
      continue
    }
    if (key === 'timestampType') {
      if (value !== 'CreateTime' && value !== 'LogAppendTime')
        throw new InvalidArgumentError(`topic setting timestampType must be 'CreateTime' or 'LogAppendTime', got ${JSON.stringify(value)}`)
      config.timestampType = value
      continue
    }
    if (COMPACTION_SETTING_KEYS.includes(key)) {
      ;(config as unknown as Record<string, unknown>)[key] = checkCompactionSetting(key, value)
      continue
    }
    if (!(key in LIMITS))
      throw new InvalidArgumentError(
        `unknown topic setting '${key}' (known: ${Object.keys(LIMITS).join(', ')}, flush, timestampType, ${COMPACTION_SETTING_KEYS.join(', ')})`,
      )
    const limit = LIMITS[key as NumericSetting]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < limit.min || value > limit.max) {
      throw new InvalidArgumentError(`topic setting ${key} must be an integer in [${limit.min}, ${limit.max}], got ${String(value)}`)
    }
    config[key as NumericSetting] = value
  }
  return config
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/
export const MAX_TOPIC_NAME_LENGTH = 249

/**
 * Kafka's topic-name rules: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". They also keep
 * every name a plain directory name, so no name can reach outside the data directory.
 */
export function validateTopicName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('topic name must be a non-empty string')
  if (name === '.' || name === '..') throw new InvalidArgumentError(`topic name cannot be '${name}'`)
  if (name.length > MAX_TOPIC_NAME_LENGTH)
    throw new InvalidArgumentError(`topic name is ${name.length} characters; the limit is ${MAX_TOPIC_NAME_LENGTH}`)
  if (!LEGAL_TOPIC.test(name))
    throw new InvalidArgumentError(`topic name '${name}' may only contain ASCII letters, digits, '.', '_' and '-'`)
  return name
}

/** `orders-3` → { topic: 'orders', partition: 3 }: the partition is the text after the last '-'. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-')
  if (dash <= 0) return null
  const digits = name.slice(dash + 1)
  if (!/^\d+$/.test(digits)) return null
  const topic = name.slice(0, dash)
  if (!LEGAL_TOPIC.test(topic)) return null
  return { topic, partition: Number(digits) }
}
