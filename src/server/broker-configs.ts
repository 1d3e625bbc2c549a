import type { Broker } from './broker.js'
import { DEFAULT_SETTINGS } from './settings.js'
import { ConfigType, flushToKafka } from './topic-configs.js'

/** One broker config as DescribeConfigs reports it (all read-only: they come from the config file). */
export interface BrokerConfigEntry {
  name: string
  value: string
  type: number
  isDefault: boolean
  documentation: string
}

/** The broker configs the server reports, with Kafka's names. */
export function brokerConfigs(broker: Broker): BrokerConfigEntry[] {
  const settings = broker.settings
  const defaults = broker.engine.topicDefaults
  const [flushMessages, flushMs] = flushToKafka(broker.engine.flushPolicy)
  const entry = (
    name: string,
    value: string | number | boolean,
    type: number,
    isDefault: boolean,
    documentation: string,
  ): BrokerConfigEntry => ({ name, value: String(value), type, isDefault, documentation })
  return [
    entry('node.id', settings.nodeId, ConfigType.INT, settings.nodeId === DEFAULT_SETTINGS.nodeId, "This broker's id."),
    entry('broker.id', settings.nodeId, ConfigType.INT, settings.nodeId === DEFAULT_SETTINGS.nodeId, "This broker's id."),
    entry('listeners', `PLAINTEXT://${settings.host}:${settings.port}`, ConfigType.LIST, false, 'Where the server listens.'),
    entry(
      'advertised.listeners',
      `PLAINTEXT://${broker.advertisedHost}:${broker.advertisedPort}`,
      ConfigType.LIST,
      settings.advertisedHost === null && settings.advertisedPort === null,
      'Where clients are told to connect.',
    ),
    entry('log.dirs', broker.engine.dir, ConfigType.LIST, false, 'The data directory.'),
    entry(
      'auto.create.topics.enable',
      settings.autoCreateTopics,
      ConfigType.BOOLEAN,
      settings.autoCreateTopics === DEFAULT_SETTINGS.autoCreateTopics,
      'Metadata requests for unknown topics create them.',
    ),
    entry(
      'num.partitions',
      settings.defaultPartitions,
      ConfigType.INT,
      settings.defaultPartitions === DEFAULT_SETTINGS.defaultPartitions,
      'Partitions of topics created without a count.',
    ),
    entry('default.replication.factor', 1, ConfigType.INT, true, 'One broker: one replica.'),
    entry(
      'socket.request.max.bytes',
      settings.maxRequestBytes,
      ConfigType.INT,
      settings.maxRequestBytes === DEFAULT_SETTINGS.maxRequestBytes,
      'A larger request closes its connection.',
    ),
    entry(
      'connections.max.idle.ms',
      settings.idleTimeoutMs,
      ConfigType.LONG,
      settings.idleTimeoutMs === DEFAULT_SETTINGS.idleTimeoutMs,
      'Idle connections are closed after this long.',
    ),
    entry(
      'fetch.max.bytes',
      settings.fetchMaxBytes,
      ConfigType.INT,
      settings.fetchMaxBytes === DEFAULT_SETTINGS.fetchMaxBytes,
      'The most record bytes one fetch response carries.',
    ),
    entry('message.max.bytes', defaults.maxBatchBytes, ConfigType.INT, false, 'Default max.message.bytes of topics.'),
    entry('log.segment.bytes', defaults.segmentBytes, ConfigType.INT, false, 'Default segment.bytes of topics.'),
    entry('log.retention.ms', defaults.retentionMs, ConfigType.LONG, false, 'Default retention.ms of topics.'),
    entry('log.retention.bytes', defaults.retentionBytes, ConfigType.LONG, false, 'Default retention.bytes of topics.'),
    entry('log.flush.interval.messages', flushMessages, ConfigType.LONG, false, 'Default flush.messages of topics.'),
    entry('log.flush.interval.ms', flushMs, ConfigType.LONG, false, 'Default flush.ms of topics.'),
    entry(
      'log.message.timestamp.type',
      defaults.timestampType ?? 'CreateTime',
      ConfigType.STRING,
      defaults.timestampType === undefined,
      'Default message.timestamp.type of topics.',
    ),
  ]
}
