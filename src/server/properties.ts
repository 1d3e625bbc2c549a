import { InvalidArgumentError, type FlushPolicy, type KafkaServerSettings, type TopicConfig } from '../index.js'
import { flushFromKafka, TopicConfigError } from './topic-configs.js'

/**
 * A Kafka broker config (server.properties: `key=value` lines, `#` and `!` comments) read into
 * the server's settings and the engine's options. Only the keys below mean something to seglog;
 * the others are reported back so the caller can say that they were ignored. Pure: the caller
 * reads the file.
 */

export interface ServeConfig {
  settings: Partial<KafkaServerSettings>
  /** The data directory from log.dirs / log.dir (one directory only). */
  dir?: string
  flush?: FlushPolicy
  topicDefaults: Partial<Omit<TopicConfig, 'partitions'>>
  retentionCheckIntervalMs?: number
  /** Keys present but not used by seglog, in file order. */
  ignored: string[]
  /** The security protocol `listeners` names (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), when it names one. */
  listenerProtocol?: string
  /** `super.users`: principals allowed everything (`User:admin;User:ops`). */
  superUsers?: string[]
}

/** Kafka's .properties syntax, the subset broker configs use: one `key=value` (or `key: value`) a line. */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line)
    if (match === null) throw new InvalidArgumentError(`'${line}' is not a key=value line`)
    properties.set(match[1]!, match[2]!)
  }
  return properties
}

/** Turns broker config entries into seglog's settings; throws InvalidArgumentError naming a bad value. */
export function serveConfigFrom(properties: ReadonlyMap<string, string>): ServeConfig {
  const config: ServeConfig = { settings: {}, topicDefaults: {}, ignored: [] }
  const get = (key: string): string | undefined => properties.get(key)
  const integer = (key: string, min: number): number | undefined => {
    const value = get(key)
    if (value === undefined) return undefined
    const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isSafeInteger(number) || number < min)
      throw new InvalidArgumentError(`${key} must be a whole number >= ${min}, got '${value}'`)
    return number
  }
  const listener = (key: string): { host?: string; port?: number } | undefined => {
    const value = get(key)
    if (value === undefined) return undefined
    const match = /^(?:[A-Z_]+:\/\/)?\[?([^\]]*?)\]?:(\d+)$/.exec(value.split(',')[0]!.trim())
    if (match === null) throw new InvalidArgumentError(`${key} must look like PLAINTEXT://HOST:PORT, got '${value}'`)
    return { ...(match[1] !== '' && { host: match[1] }), port: Number(match[2]) }
  }
  const settings = config.settings
  const listen = listener('listeners')
  if (listen !== undefined) Object.assign(settings, listen)
  const protocol = /^([A-Z_]+):\/\//.exec(get('listeners') ?? '')?.[1]
  if (protocol !== undefined) {
    if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol))
      throw new InvalidArgumentError(`listeners: seglog serves PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got '${protocol}'`)
    config.listenerProtocol = protocol
  }
  const superUsers = get('super.users')
  if (superUsers !== undefined)
    config.superUsers = superUsers
      .split(';')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
  const advertised = listener('advertised.listeners')
  if (advertised !== undefined) {
    if (advertised.host !== undefined) settings.advertisedHost = advertised.host
    settings.advertisedPort = advertised.port ?? null
  }
  settings.nodeId = integer('node.id', 0) ?? integer('broker.id', 0)
  if (get('cluster.id') !== undefined) settings.clusterId = get('cluster.id')!
  const autoCreate = get('auto.create.topics.enable')
  if (autoCreate !== undefined) {
    if (autoCreate !== 'true' && autoCreate !== 'false')
      throw new InvalidArgumentError(`auto.create.topics.enable must be true or false, got '${autoCreate}'`)
    settings.autoCreateTopics = autoCreate === 'true'
  }
  settings.defaultPartitions = integer('num.partitions', 1)
  const replication = integer('default.replication.factor', 1)
  if (replication !== undefined && replication !== 1)
    throw new InvalidArgumentError(`default.replication.factor must be 1: seglog serve is one broker, got ${replication}`)
  settings.maxRequestBytes = integer('socket.request.max.bytes', 1)
  settings.idleTimeoutMs = integer('connections.max.idle.ms', 1)
  settings.fetchMaxBytes = integer('fetch.max.bytes', 1)
  settings.groupInitialRebalanceDelayMs = integer('group.initial.rebalance.delay.ms', 0)
  settings.groupMinSessionTimeoutMs = integer('group.min.session.timeout.ms', 1)
  settings.groupMaxSessionTimeoutMs = integer('group.max.session.timeout.ms', 1)

  const dirs = get('log.dirs') ?? get('log.dir')
  if (dirs !== undefined) {
    if (dirs.includes(',')) throw new InvalidArgumentError(`log.dirs names several directories; seglog serve uses one: '${dirs}'`)
    config.dir = dirs
  }
  const defaults = config.topicDefaults
  defaults.segmentBytes = integer('log.segment.bytes', 14)
  const rollHours = integer('log.roll.hours', 1)
  defaults.segmentMs = integer('log.roll.ms', 1) ?? (rollHours === undefined ? undefined : rollHours * 3_600_000)
  const retentionHours = integer('log.retention.hours', -1)
  const retentionMinutes = integer('log.retention.minutes', -1)
  defaults.retentionMs =
    integer('log.retention.ms', -1) ??
    (retentionMinutes === undefined ? undefined : retentionMinutes < 0 ? -1 : retentionMinutes * 60_000) ??
    (retentionHours === undefined ? undefined : retentionHours < 0 ? -1 : retentionHours * 3_600_000)
  defaults.retentionBytes = integer('log.retention.bytes', -1)
  defaults.indexIntervalBytes = integer('log.index.interval.bytes', 0)
  defaults.segmentIndexBytes = integer('log.index.size.max.bytes', 16)
  defaults.maxBatchBytes = integer('message.max.bytes', 61)
  const timestampType = get('log.message.timestamp.type')
  if (timestampType !== undefined) {
    if (timestampType !== 'CreateTime' && timestampType !== 'LogAppendTime')
      throw new InvalidArgumentError(`log.message.timestamp.type must be CreateTime or LogAppendTime, got '${timestampType}'`)
    defaults.timestampType = timestampType
  }
  const flushMessages = get('log.flush.interval.messages')
  const flushMs = get('log.flush.interval.ms')
  if (flushMessages !== undefined || flushMs !== undefined) {
    try {
      config.flush = flushFromKafka(flushMessages ?? '9223372036854775807', flushMs ?? '9223372036854775807')
    } catch (error) {
      throw error instanceof TopicConfigError ? new InvalidArgumentError(`log.flush.interval.*: ${error.message}`) : error
    }
  }
  config.retentionCheckIntervalMs = integer('log.retention.check.interval.ms', 1)
  config.ignored = [...properties.keys()].filter((key) => !SERVE_CONFIG_KEYS.has(key))
  return config
}

/** The broker config keys seglog uses (docs/server.md lists them). */
export const SERVE_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'listeners',
  'advertised.listeners',
  'node.id',
  'broker.id',
  'cluster.id',
  'auto.create.topics.enable',
  'num.partitions',
  'default.replication.factor',
  'socket.request.max.bytes',
  'connections.max.idle.ms',
  'fetch.max.bytes',
  'log.dirs',
  'log.dir',
  'log.segment.bytes',
  'log.roll.hours',
  'log.roll.ms',
  'log.retention.hours',
  'log.retention.minutes',
  'log.retention.ms',
  'log.retention.bytes',
  'log.index.interval.bytes',
  'log.index.size.max.bytes',
  'message.max.bytes',
  'log.message.timestamp.type',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.retention.check.interval.ms',
  'group.initial.rebalance.delay.ms',
  'group.min.session.timeout.ms',
  'group.max.session.timeout.ms',
  'super.users',
])
