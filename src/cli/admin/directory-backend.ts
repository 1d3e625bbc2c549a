import { LogEngine, LogLockedError } from '../../index.js'
import {
  checkTopicConfig,
  kafkaConfigsOf,
  topicChangesFromKafka,
  topicSettingsFromKafka,
  TopicConfigError,
  TOPIC_CONFIG_NAMES,
  type KafkaConfigMap,
} from '../../server/topic-configs.js'
import { CliError } from '../errors.js'
import type {
  AdminBackend,
  GroupDescription,
  GroupListing,
  PartitionEnds,
  PartitionOffset,
  TopicDetails,
  TopicPartition,
} from './backend.js'
import { describeLiveOwner } from './live-owner.js'

/**
 * The admin backend for a data directory: opens it through the engine's public API, taking its lock
 * for the command's duration. A directory a live process owns is refused; when that owner is
 * `seglog serve` the message names the address to use instead. Groups here have no members (a
 * server would hold the lock), so every group with committed offsets is Empty, as Kafka calls a
 * group that has offsets and no members. Topic configs use Kafka's names, translated by the same
 * table the server uses (src/server/topic-configs.ts).
 */
export class DirectoryBackend implements AdminBackend {
  readonly target: string
  private readonly engine: LogEngine

  private constructor(engine: LogEngine) {
    this.engine = engine
    this.target = engine.dir
  }

  static async open(dir: string): Promise<DirectoryBackend> {
    try {
      // Recovery's notes (a torn tail cut on open) go to stderr, apart from the command's output.
      const onWarning = (message: string): void => void process.stderr.write(`seglog: ${message}\n`)
      return new DirectoryBackend(await LogEngine.open({ dir, onWarning }))
    } catch (error) {
      if (error instanceof LogLockedError) throw new CliError('DIRECTORY_SERVED', describeLiveOwner(dir, error.pid))
      throw error
    }
  }

  listGroups(): Promise<GroupListing[]> {
    return Promise.resolve(this.engine.offsets.listGroups().map((group) => ({ group, state: 'Empty', protocolType: 'consumer' })))
  }

  describeGroup(group: string): Promise<GroupDescription | null> {
    if (!this.engine.offsets.listGroups().includes(group)) return Promise.resolve(null)
    return Promise.resolve({ group, state: 'Empty', protocol: '', coordinator: this.engine.dir, members: [] })
  }

  committedOffsets(group: string): Promise<PartitionOffset[]> {
    return Promise.resolve(
      this.engine.offsets
        .describeGroup(group)
        .filter((row) => row.committedOffset !== null)
        .map((row) => ({ topic: row.topic, partition: row.partition, offset: row.committedOffset! })),
    )
  }

  async commitOffsets(group: string, offsets: readonly PartitionOffset[]): Promise<void> {
    await this.engine.offsets.commitMany(group, offsets)
  }

  async deleteGroup(group: string): Promise<void> {
    await this.engine.offsets.deleteGroup(group)
  }

  async deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void> {
    await this.engine.offsets.deleteOffsets(group, partitions)
  }

  listTopics(includeInternal: boolean): Promise<string[]> {
    const topics = this.engine.listTopics().filter((topic) => includeInternal || !topic.internal)
    return Promise.resolve(topics.map((topic) => topic.name).sort())
  }

  describeTopic(topic: string): Promise<TopicDetails | null> {
    const description = this.engine.listTopics().find((candidate) => candidate.name === topic)
    if (description === undefined) return Promise.resolve(null)
    const values = kafkaConfigsOf(description.config, this.engine.flushPolicy)
    const defaults = this.defaults()
    const configs = TOPIC_CONFIG_NAMES.map(({ name }) => {
      const value = values.get(name)!
      return { name, value, isOverride: value !== defaults.get(name) }
    })
    return Promise.resolve({ name: topic, partitions: description.partitions, internal: description.internal, configs })
  }

  partitionEnds(topic: string): Promise<PartitionEnds[]> {
    this.requireTopic(topic)
    return Promise.resolve(
      this.engine.partitions(topic).map((log) => ({
        partition: log.partition,
        logStartOffset: log.logStartOffset,
        logEndOffset: log.highWatermark,
      })),
    )
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffset[]> {
    this.requireTopic(topic)
    const offsets: PartitionOffset[] = []
    for (const log of this.engine.partitions(topic)) {
      const found = await log.offsetForTimestamp(timestamp)
      offsets.push({ topic, partition: log.partition, offset: found?.offset ?? log.highWatermark })
    }
    return offsets
  }

  async createTopic(topic: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<void> {
    const settings = translateConfigs(() => topicSettingsFromKafka(new Map(configs), this.defaults()))
    await this.engine.createTopic(topic, { ...settings, partitions })
  }

  async addPartitions(topic: string, count: number): Promise<void> {
    this.requireTopic(topic)
    await this.engine.addPartitions(topic, count)
  }

  async alterTopicConfigs(topic: string, set: ReadonlyMap<string, string>, remove: readonly string[]): Promise<void> {
    this.requireTopic(topic)
    const defaults = this.defaults()
    const map: KafkaConfigMap = kafkaConfigsOf(this.engine.topicConfig(topic), this.engine.flushPolicy)
    const changes = translateConfigs(() => {
      for (const name of remove) {
        checkTopicConfig(name, null)
        map.set(name, defaults.get(name)!)
      }
      for (const [name, value] of set) map.set(name, value)
      return topicChangesFromKafka(map, defaults)
    })
    await this.engine.alterTopicConfig(topic, changes)
  }

  async deleteTopic(topic: string): Promise<void> {
    this.requireTopic(topic)
    await this.engine.deleteTopic(topic)
  }

  async deleteRecords(topic: string, offsets: readonly { partition: number; offset: number }[]): Promise<PartitionEnds[]> {
    this.requireTopic(topic)
    const ends: PartitionEnds[] = []
    for (const { partition, offset } of offsets) {
      const log = this.engine.partition(topic, partition)
      // Kafka's -1 means "up to the high watermark": everything readable goes.
      const logStartOffset = await this.engine.deleteRecordsBefore(topic, partition, offset === -1 ? log.highWatermark : offset)
      ends.push({ partition, logStartOffset, logEndOffset: log.highWatermark })
    }
    return ends
  }

  close(): Promise<void> {
    return this.engine.close()
  }

  /** The engine's defaults as Kafka names them: what a deleted override goes back to. */
  private defaults(): KafkaConfigMap {
    return kafkaConfigsOf(this.engine.topicDefaults, this.engine.flushPolicy)
  }

  private requireTopic(topic: string): void {
    if (!this.engine.hasTopic(topic)) throw new CliError('UNKNOWN_TOPIC', `topic '${topic}' does not exist in ${this.engine.dir}`)
  }
}

/** Runs a Kafka-config translation, turning its TopicConfigError into the CLI's one-line error. */
function translateConfigs<T>(translate: () => T): T {
  try {
    return translate()
  } catch (error) {
    if (error instanceof TopicConfigError) throw new CliError('ADMIN_REQUEST_FAILED', error.message)
    throw error
  }
}
