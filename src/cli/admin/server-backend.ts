import type { Admin } from 'kafkajs'
import { CliError } from '../errors.js'
import type {
  AdminBackend,
  GroupDescription,
  GroupListing,
  GroupMember,
  PartitionEnds,
  PartitionOffset,
  TopicDetails,
  TopicPartition,
} from './backend.js'
import { describeKafkaError } from './kafka-errors.js'

/**
 * The admin backend for a Kafka-protocol server (seglog serve or a Kafka broker), through KafkaJS's
 * admin client. KafkaJS is loaded on the first use, so the commands that never reach a server do
 * not load it. Every KafkaJS failure becomes one CliError line naming the server.
 *
 * Offsets of a group without members are committed as Kafka's admin client commits them
 * (group-offsets-client.ts); the caller checks first that the group has no members, as Kafka's tool does.
 */

/** Kafka's DescribeConfigs resource type for topics, and its source for a topic's own setting. */
const TOPIC_RESOURCE = 2
const DYNAMIC_TOPIC_CONFIG = 1
/** Topics Kafka (and seglog serve) keep for themselves. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state'])

export class ServerBackend implements AdminBackend {
  readonly target: string
  private readonly admin: Admin
  private readonly decodeAssignment: (data: Buffer) => GroupMember['assignment']

  private constructor(target: string, admin: Admin, decodeAssignment: (data: Buffer) => GroupMember['assignment']) {
    this.target = target
    this.admin = admin
    this.decodeAssignment = decodeAssignment
  }

  static async connect(address: string): Promise<ServerBackend> {
    const { Kafka, logLevel, AssignerProtocol } = await import('kafkajs')
    const kafka = new Kafka({
      clientId: 'seglog-admin',
      brokers: [address],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 15_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    })
    const admin = kafka.admin()
    const decode = (data: Buffer): GroupMember['assignment'] => {
      if (data.length === 0) return []
      const decoded = AssignerProtocol.MemberAssignment.decode(data)
      if (decoded === null) return []
      return Object.entries(decoded.assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })))
    }
    const backend = new ServerBackend(address, admin, decode)
    await backend.call('connect to', () => admin.connect())
    return backend
  }

  async listGroups(): Promise<GroupListing[]> {
    const { groups } = await this.call('list groups on', () => this.admin.listGroups())
    if (groups.length === 0) return []
    const described = await this.call('describe groups on', () => this.admin.describeGroups(groups.map((group) => group.groupId)))
    const states = new Map(described.groups.map((group) => [group.groupId, group.state]))
    return groups
      .map((group) => ({ group: group.groupId, state: states.get(group.groupId) ?? 'Unknown', protocolType: group.protocolType }))
      .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
  }

  async describeGroup(group: string): Promise<GroupDescription | null> {
    const { groups } = await this.call(`describe group '${group}' on`, () => this.admin.describeGroups([group]))
    const found = groups[0]
    if (found === undefined) return null
    if (found.state === 'Dead' && found.members.length === 0 && (await this.committedOffsets(group)).length === 0) return null
    const members = found.members.map((member) => ({
      memberId: member.memberId,
      clientId: member.clientId,
      host: member.clientHost,
      assignment: found.protocolType === 'consumer' ? this.decodeAssignment(member.memberAssignment) : [],
    }))
    // A group with offsets and no members is Empty in Kafka; some brokers say Dead for it.
    const state = found.state === 'Dead' && members.length === 0 ? 'Empty' : found.state
    return { group, state, protocol: found.protocol, coordinator: this.target, members }
  }

  async committedOffsets(group: string): Promise<PartitionOffset[]> {
    const topics = await this.call(`fetch the offsets of group '${group}' from`, () => this.admin.fetchOffsets({ groupId: group }))
    const offsets: PartitionOffset[] = []
    for (const { topic, partitions } of topics) {
      for (const { partition, offset } of partitions) if (Number(offset) >= 0) offsets.push({ topic, partition, offset: Number(offset) })
    }
    return offsets.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }

  async commitOffsets(group: string, offsets: readonly PartitionOffset[]): Promise<void> {
    const { commitGroupOffsets } = await import('./group-offsets-client.js')
    await commitGroupOffsets(this.address(), group, offsets)
  }

  /** The bootstrap address as host and port (an IPv6 host loses its brackets). */
  private address(): { host: string; port: number } {
    const colon = this.target.lastIndexOf(':')
    return { host: this.target.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(this.target.slice(colon + 1)) }
  }

  async deleteGroup(group: string): Promise<void> {
    await this.call(`delete group '${group}' on`, () => this.admin.deleteGroups([group]))
  }

  async deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void> {
    const { deleteGroupOffsets } = await import('./group-offsets-client.js')
    await deleteGroupOffsets(this.address(), group, partitions)
  }

  async listTopics(includeInternal: boolean): Promise<string[]> {
    const topics = await this.call('list topics on', () => this.admin.listTopics())
    return topics.filter((topic) => includeInternal || !INTERNAL_TOPICS.has(topic)).sort()
  }

  async describeTopic(topic: string): Promise<TopicDetails | null> {
    if (!(await this.listTopics(true)).includes(topic)) return null
    const metadata = await this.call(`describe topic '${topic}' on`, () => this.admin.fetchTopicMetadata({ topics: [topic] }))
    const configs = await this.call(`describe the configs of topic '${topic}' on`, () =>
      this.admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: topic }], includeSynonyms: false }),
    )
    const entries = configs.resources[0]?.configEntries ?? []
    return {
      name: topic,
      partitions: metadata.topics[0]?.partitions.length ?? 0,
      internal: INTERNAL_TOPICS.has(topic),
      configs: entries
        .filter((entry) => !entry.isSensitive)
        .map((entry) => ({ name: entry.configName, value: entry.configValue, isOverride: isOverride(entry) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    }
  }

  async partitionEnds(topic: string): Promise<PartitionEnds[]> {
    await this.requireTopic(topic)
    const offsets = await this.call(`fetch the offsets of topic '${topic}' from`, () => this.admin.fetchTopicOffsets(topic))
    return offsets
      .map((entry) => ({ partition: entry.partition, logStartOffset: Number(entry.low), logEndOffset: Number(entry.high) }))
      .sort((a, b) => a.partition - b.partition)
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffset[]> {
    await this.requireTopic(topic)
    const offsets = await this.call(`look up offsets by time in topic '${topic}' on`, () =>
      this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp),
    )
    return offsets
      .map((entry) => ({ topic, partition: entry.partition, offset: Number(entry.offset) }))
      .sort((a, b) => a.partition - b.partition)
  }

  async createTopic(topic: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<void> {
    const configEntries = [...configs].map(([name, value]) => ({ name, value }))
    const created = await this.call(`create topic '${topic}' on`, () =>
      this.admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: false }),
    )
    // KafkaJS answers TOPIC_ALREADY_EXISTS with false rather than an error.
    if (!created) throw new CliError('ADMIN_REQUEST_FAILED', `topic '${topic}' already exists on ${this.target}`)
  }

  async addPartitions(topic: string, count: number): Promise<void> {
    await this.requireTopic(topic)
    await this.call(`add partitions to topic '${topic}' on`, () => this.admin.createPartitions({ topicPartitions: [{ topic, count }] }))
  }

  async alterTopicConfigs(topic: string, set: ReadonlyMap<string, string>, remove: readonly string[]): Promise<void> {
    const details = await this.describeTopic(topic)
    if (details === null) throw this.unknownTopic(topic)
    // AlterConfigs (the request KafkaJS sends) replaces a topic's whole set of overrides: send the
    // overrides there are now, changed as asked, so the others stay.
    const overrides = new Map(details.configs.filter((entry) => entry.isOverride).map((entry) => [entry.name, entry.value]))
    for (const name of remove) {
      if (!details.configs.some((entry) => entry.name === name))
        throw new CliError('ADMIN_REQUEST_FAILED', `unknown or unsupported topic config '${name}' on ${this.target}`)
      overrides.delete(name)
    }
    for (const [name, value] of set) overrides.set(name, value)
    const configEntries = [...overrides].map(([name, value]) => ({ name, value }))
    await this.call(`alter the configs of topic '${topic}' on`, () =>
      this.admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configEntries }] }),
    )
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.requireTopic(topic)
    await this.call(`delete topic '${topic}' on`, () => this.admin.deleteTopics({ topics: [topic] }))
  }

  async deleteRecords(topic: string, offsets: readonly { partition: number; offset: number }[]): Promise<PartitionEnds[]> {
    await this.requireTopic(topic)
    const partitions = offsets.map(({ partition, offset }) => ({ partition, offset: String(offset) }))
    await this.call(`delete records of topic '${topic}' on`, () => this.admin.deleteTopicRecords({ topic, partitions }))
    const asked = new Set(offsets.map(({ partition }) => partition))
    return (await this.partitionEnds(topic)).filter((ends) => asked.has(ends.partition))
  }

  close(): Promise<void> {
    return this.admin.disconnect()
  }

  private async requireTopic(topic: string): Promise<void> {
    if (!(await this.listTopics(true)).includes(topic)) throw this.unknownTopic(topic)
  }

  private unknownTopic(topic: string): CliError {
    return new CliError('UNKNOWN_TOPIC', `topic '${topic}' does not exist on ${this.target}`)
  }

  /** Runs one KafkaJS call; a failure becomes `cannot <what> HOST:PORT: <reason>`. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw new CliError('ADMIN_REQUEST_FAILED', `cannot ${what} ${this.target}: ${describeKafkaError(error)}`)
    }
  }
}

function isOverride(entry: { isDefault: boolean; configSource?: number }): boolean {
  return entry.configSource === undefined ? !entry.isDefault : entry.configSource === DYNAMIC_TOPIC_CONFIG
}
