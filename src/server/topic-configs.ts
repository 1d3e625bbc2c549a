import { DEFAULT_TOPIC_CONFIG, type FlushPolicy, type TopicConfig, type TopicConfigChanges } from '../index.js'

/**
 * Kafka's topic config names (retention.ms, max.message.bytes, …) and seglog's topic settings
 * (retentionMs, maxBatchBytes, …): the one place that translates between them, for CreateTopics,
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs. Pure.
 *
 * A change is made on the Kafka side first (a map from name to string value, as the client sent
 * it), then the whole map is turned into seglog settings: flush.ms and flush.messages together
 * make one flush policy, so neither can be translated on its own.
 */

/** Kafka's ConfigType values (DescribeConfigs v3+). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const

/** Kafka's ConfigSource values (DescribeConfigs v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const

/** Kafka's "never" for flush.ms and flush.messages (Long.MAX_VALUE), as it prints it. */
export const KAFKA_LONG_MAX = '9223372036854775807'

/** A config a client sent that seglog cannot take: answered with INVALID_CONFIG and this message. */
export class TopicConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TopicConfigError'
  }
}

type NumericKey =
  'segmentBytes' | 'segmentMs' | 'segmentIndexBytes' | 'indexIntervalBytes' | 'retentionMs' | 'retentionBytes' | 'maxBatchBytes'

interface TopicConfigName {
  readonly name: string
  readonly type: number
  readonly documentation: string
  /** A seglog setting this name maps to one to one; absent for the flush pair and fixed values. */
  readonly key?: NumericKey
  /** The only value seglog has for a Kafka setting it does not implement otherwise. */
  readonly fixed?: string
}

/** Every topic config the server knows, in the order DescribeConfigs lists them. */
export const TOPIC_CONFIG_NAMES: readonly TopicConfigName[] = [
  {
    name: 'cleanup.policy',
    type: ConfigType.LIST,
    documentation:
      'delete: retention deletes old segments; compact: the log cleaner keeps the last record of each key; compact,delete: both.',
  },
  {
    name: 'compression.type',
    type: ConfigType.STRING,
    fixed: 'producer',
    documentation: 'Batches are stored with the compression the producer chose.',
  },
  {
    name: 'flush.messages',
    type: ConfigType.LONG,
    documentation: 'fsync after this many records (1 means every append is fsynced before it is acknowledged).',
  },
  { name: 'flush.ms', type: ConfigType.LONG, documentation: 'fsync at least this often, in milliseconds.' },
  {
    name: 'index.interval.bytes',
    type: ConfigType.INT,
    key: 'indexIntervalBytes',
    documentation: 'Bytes of log between two offset-index entries.',
  },
  {
    name: 'max.message.bytes',
    type: ConfigType.INT,
    key: 'maxBatchBytes',
    documentation: 'The largest record batch a produce request may append.',
  },
  {
    name: 'message.timestamp.type',
    type: ConfigType.STRING,
    documentation: "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch on arrival.",
  },
  {
    name: 'min.insync.replicas',
    type: ConfigType.INT,
    fixed: '1',
    documentation: 'seglog serve is a single node: every partition has one replica.',
  },
  {
    name: 'retention.bytes',
    type: ConfigType.LONG,
    key: 'retentionBytes',
    documentation: 'Delete the oldest segments while a partition is larger than this; -1 for no limit.',
  },
  {
    name: 'retention.ms',
    type: ConfigType.LONG,
    key: 'retentionMs',
    documentation: 'Delete segments whose newest record is older than this; -1 keeps them forever.',
  },
  { name: 'segment.bytes', type: ConfigType.INT, key: 'segmentBytes', documentation: 'Roll to a new segment past this size.' },
  { name: 'segment.index.bytes', type: ConfigType.INT, key: 'segmentIndexBytes', documentation: 'Size limit of each index file.' },
  { name: 'segment.ms', type: ConfigType.LONG, key: 'segmentMs', documentation: 'Roll a segment this old.' },
]

/** Kafka's cleanup.policy values (a list: the two words in either order). */
const CLEANUP_POLICIES: readonly string[] = ['delete', 'compact', 'compact,delete', 'delete,compact']

const BY_NAME = new Map(TOPIC_CONFIG_NAMES.map((entry) => [entry.name, entry]))

/** A topic's configs as Kafka names them: name -> value as a string. */
export type KafkaConfigMap = Map<string, string>

/** The Kafka-side view of a topic's settings (`flush` absent means the engine's policy). */
export function kafkaConfigsOf(config: TopicConfig, engineFlush: FlushPolicy): KafkaConfigMap {
  const map: KafkaConfigMap = new Map()
  const [flushMessages, flushMs] = flushToKafka(config.flush ?? engineFlush)
  for (const entry of TOPIC_CONFIG_NAMES) {
    if (entry.fixed !== undefined) map.set(entry.name, entry.fixed)
    else if (entry.key !== undefined) map.set(entry.name, String(config[entry.key]))
  }
  map.set('flush.messages', flushMessages)
  map.set('flush.ms', flushMs)
  map.set('message.timestamp.type', config.timestampType ?? 'CreateTime')
  map.set('cleanup.policy', config.cleanupPolicy ?? 'delete')
  return map
}

/** Kafka's flush.messages and flush.ms for a flush policy. */
export function flushToKafka(policy: FlushPolicy): [messages: string, ms: string] {
  if (policy.mode === 'sync') return ['1', KAFKA_LONG_MAX]
  if (policy.mode === 'os') return [KAFKA_LONG_MAX, KAFKA_LONG_MAX]
  return [
    policy.messages === undefined ? KAFKA_LONG_MAX : String(policy.messages),
    policy.ms === undefined ? KAFKA_LONG_MAX : String(policy.ms),
  ]
}

/** The flush policy Kafka's flush.messages and flush.ms describe (values already checked). */
export function flushFromKafka(messages: string, ms: string): FlushPolicy {
  const messageCount = parseLong('flush.messages', messages, 1)
  const intervalMs = parseLong('flush.ms', ms, 1)
  if (messageCount === 1) return { mode: 'sync' }
  if (messageCount === null && intervalMs === null) return { mode: 'os' }
  return { mode: 'interval', ...(intervalMs !== null && { ms: intervalMs }), ...(messageCount !== null && { messages: messageCount }) }
}

/**
 * A whole-number setting; null for "never" (anything at or past 2^53, Kafka's Long.MAX_VALUE among
 * them). Throws TopicConfigError for anything else below `min`.
 */
function parseLong(name: string, value: string, min: number): number | null {
  if (!/^-?\d+$/.test(value)) throw new TopicConfigError(`${name} must be a whole number, got '${value}'`)
  const number = Number(value)
  if (number > Number.MAX_SAFE_INTEGER) return null
  if (number < min) throw new TopicConfigError(`${name} must be at least ${min}, got ${value}`)
  return number
}

/** Checks one name and value a client sent; throws TopicConfigError naming the problem. */
export function checkTopicConfig(name: string, value: string | null): void {
  const entry = BY_NAME.get(name)
  if (entry === undefined) throw new TopicConfigError(`unknown or unsupported topic config '${name}'`)
  if (value === null) return
  if (entry.fixed !== undefined && value !== entry.fixed)
    throw new TopicConfigError(`${name} can only be '${entry.fixed}' (${entry.documentation})`)
  if (name === 'message.timestamp.type' && value !== 'CreateTime' && value !== 'LogAppendTime') {
    throw new TopicConfigError(`message.timestamp.type must be CreateTime or LogAppendTime, got '${value}'`)
  }
  if (name === 'cleanup.policy' && !CLEANUP_POLICIES.includes(value))
    throw new TopicConfigError(`cleanup.policy must be delete, compact or compact,delete, got '${value}'`)
  if (name === 'flush.messages' || name === 'flush.ms') parseLong(name, value, 1)
  if (entry.key !== undefined) parseSetting(entry, value)
}

function parseSetting(entry: TopicConfigName, value: string): number {
  const min = entry.key === 'retentionMs' || entry.key === 'retentionBytes' ? -1 : 0
  // Long.MAX_VALUE and the like mean "no limit" in Kafka; seglog's largest setting says the same.
  return parseLong(entry.name, value, min) ?? Number.MAX_SAFE_INTEGER
}

/**
 * The seglog settings for a Kafka-side map: every setting it names, with null where the value is
 * the default (so alterTopicConfig drops the override). `defaults` is the engine's defaults' view.
 */
export function topicChangesFromKafka(map: KafkaConfigMap, defaults: KafkaConfigMap): TopicConfigChanges {
  const changes: { -readonly [K in keyof TopicConfigChanges]: TopicConfigChanges[K] } = {}
  for (const [name, value] of map) checkTopicConfig(name, value)
  for (const entry of TOPIC_CONFIG_NAMES) {
    if (entry.key === undefined) continue
    const value = map.get(entry.name) ?? defaults.get(entry.name)!
    changes[entry.key] = value === defaults.get(entry.name) ? null : Math.min(parseSetting(entry, value), Number.MAX_SAFE_INTEGER)
  }
  const flushMessages = map.get('flush.messages') ?? defaults.get('flush.messages')!
  const flushMs = map.get('flush.ms') ?? defaults.get('flush.ms')!
  changes.flush =
    flushMessages === defaults.get('flush.messages') && flushMs === defaults.get('flush.ms') ? null : flushFromKafka(flushMessages, flushMs)
  const timestampType = map.get('message.timestamp.type') ?? 'CreateTime'
  changes.timestampType = timestampType === 'CreateTime' ? null : 'LogAppendTime'
  const cleanupPolicy = map.get('cleanup.policy') ?? 'delete'
  changes.cleanupPolicy = cleanupPolicy === 'delete' ? null : cleanupPolicy === 'compact' ? 'compact' : 'compact,delete'
  return changes
}

/** Settings for createTopic from the configs of a CreateTopics request (nulls dropped). */
export function topicSettingsFromKafka(map: KafkaConfigMap, defaults: KafkaConfigMap): Partial<TopicConfig> {
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(topicChangesFromKafka(map, defaults))) if (value !== null) settings[key] = value
  return settings as Partial<TopicConfig>
}

/** How DescribeConfigs reports where a topic's value comes from. */
export function configSourceOf(name: string, value: string, engineDefaults: KafkaConfigMap, builtInDefaults: KafkaConfigMap): number {
  if (value !== engineDefaults.get(name)) return ConfigSource.DYNAMIC_TOPIC_CONFIG
  return value === builtInDefaults.get(name) ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG
}

/** The built-in defaults' Kafka view (DEFAULT_TOPIC_CONFIG under seglog's default flush mode). */
export const BUILT_IN_DEFAULTS: KafkaConfigMap = kafkaConfigsOf(DEFAULT_TOPIC_CONFIG, { mode: 'sync' })

export function topicConfigName(name: string): TopicConfigName | undefined {
  return BY_NAME.get(name)
}
